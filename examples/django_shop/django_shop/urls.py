"""The storefront's URLs; /oct8ne/... never reaches them (see wsgi.py)."""

from __future__ import annotations

from django.urls import path

from django_shop import views

urlpatterns = [
    path("", views.home),
    path("product/<str:sku>", views.product),
    path("product/<str:sku>/image.svg", views.product_image),
    path("login", views.login),
    path("logout", views.logout),
    path("cart/add/<str:sku>", views.add_to_cart),
]
