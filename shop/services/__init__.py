"""Business operations: each changes the model, flushes and never commits."""
