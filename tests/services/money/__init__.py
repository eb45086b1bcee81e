"""Tests of bot/services/money: quota, spend and costs."""
