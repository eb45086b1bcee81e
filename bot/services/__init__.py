"""Application services: generation, quota, worker."""
