"""Discord adapters: each cog defers, calls one service method, renders the result."""
