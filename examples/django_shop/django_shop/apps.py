"""The shop's Django app."""

from __future__ import annotations

from django.apps import AppConfig


class ShopConfig(AppConfig):
    """The project package is also the app holding the shop's models."""

    name = "django_shop"
    default_auto_field = "django.db.models.BigAutoField"
