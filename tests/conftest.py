"""Shared fixtures: a real redis-server, and the labelled corpus dealt into days."""

from .daily_corpus import days
from .redis_server import redis_server, redis_url

__all__ = ["days", "redis_server", "redis_url"]
