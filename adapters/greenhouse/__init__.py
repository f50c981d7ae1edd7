"""Greenhouse: webhooks in, Harvest API notes out."""

from adapters.greenhouse.adapter import GreenhouseAdapter

__all__ = ["GreenhouseAdapter"]
