"""Concurrency tests: real parallel HTTP requests against a live server, real commits."""
