"""A minimal storefront: enough pages to sign in, fill a cart and see what the adapter sees."""

from __future__ import annotations

from django.contrib import auth
from django.http import HttpRequest, HttpResponse, HttpResponseBadRequest
from django.shortcuts import get_object_or_404, redirect
from django.utils.html import format_html, format_html_join
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from django_shop import models
from django_shop.adapter import record_cart
from oct8ne_adapter import Visitor


def _page(request: HttpRequest, body: str) -> HttpResponse:
    who = (
        format_html("signed in as {}", request.user.get_username())
        if request.user.is_authenticated
        else "not signed in"
    )
    return HttpResponse(
        format_html(
            "<!doctype html><title>django_shop</title><p><a href='/'>django_shop</a> ({})</p>{}",
            who,
            body,
        )
    )


def _form(request: HttpRequest, action: str, fields: str, label: str) -> str:
    from django.middleware.csrf import get_token

    return format_html(
        "<form method='post' action='{}'><input type='hidden' name='csrfmiddlewaretoken' "
        "value='{}'>{}<button>{}</button></form>",
        action,
        get_token(request),
        fields,
        label,
    )


@require_GET
def home(request: HttpRequest) -> HttpResponse:
    """Every product, each with its add-to-cart button."""
    products = models.Product.objects.filter(active=True).prefetch_related("texts")
    rows = format_html_join(
        "",
        "<li><a href='/product/{0}'>{1}</a> {2}</li>",
        (
            (
                product.sku,
                next((t.title for t in product.texts.all() if t.language == "en"), product.sku),
                _form(request, f"/cart/add/{product.sku}", "", "add to cart"),
            )
            for product in products
        ),
    )
    return _page(request, format_html("<ul>{}</ul>", rows))


@require_GET
def product(request: HttpRequest, sku: str) -> HttpResponse:
    """A product page (the adapter's productUrl)."""
    item = get_object_or_404(models.Product, sku=sku, active=True)
    text = item.texts.filter(language="en").first()
    return _page(
        request,
        format_html(
            "<h1>{}</h1><p>{}</p>{}",
            text.title if text else sku,
            text.description if text else "",
            _form(request, f"/cart/add/{sku}", "", "add to cart"),
        ),
    )


@require_GET
def product_image(_request: HttpRequest, sku: str) -> HttpResponse:
    """A drawn picture of the product (the adapter's thumbnail)."""
    get_object_or_404(models.Product, sku=sku)
    svg = format_html(
        "<svg xmlns='http://www.w3.org/2000/svg' width='120' height='120'>"
        "<rect width='120' height='120' fill='#dde'/><text x='10' y='65'>{}</text></svg>",
        sku,
    )
    return HttpResponse(svg, content_type="image/svg+xml")


@require_http_methods(["GET", "POST"])
def login(request: HttpRequest) -> HttpResponse:
    """Demo sign-in by e-mail alone (a real shop uses django.contrib.auth's LoginView)."""
    if request.method == "GET":
        field = "<input name='email' type='email' placeholder='jane.doe@example.com'>"
        return _page(request, _form(request, "/login", field, "sign in"))
    customer = models.Customer.objects.filter(
        email__iexact=request.POST.get("email", "").strip()
    ).first()
    if customer is None:
        return HttpResponseBadRequest("no customer has this e-mail", content_type="text/plain")
    guest_key = request.session.session_key
    auth.login(request, customer.user, backend="django.contrib.auth.backends.ModelBackend")
    # The guest's cart becomes the customer's, unless they have one already.
    if guest_key and not models.Cart.objects.filter(customer=customer).exists():
        models.Cart.objects.filter(session_key=guest_key).update(
            customer=customer, session_key=None
        )
    return redirect("/")


@require_POST
def logout(request: HttpRequest) -> HttpResponse:
    """Sign out: Django flushes the session, so the adapter sees an anonymous visitor."""
    auth.logout(request)
    return redirect("/")


@require_POST
def add_to_cart(request: HttpRequest, sku: str) -> HttpResponse:
    """Add one of a product to the visitor's cart (the adapter's addToCartUrl)."""
    item = get_object_or_404(models.Product, sku=sku, active=True)
    customer = models.Customer.objects.filter(user_id=request.user.pk).first()
    if customer is not None:
        cart, _ = models.Cart.objects.get_or_create(customer=customer)
    else:
        if request.session.session_key is None:
            request.session.save()  # a guest cart needs a session to be keyed by
        cart, _ = models.Cart.objects.get_or_create(session_key=request.session.session_key)
    line, created = models.CartLine.objects.get_or_create(
        cart=cart, product=item, defaults={"quantity": 1}
    )
    if not created:
        line.quantity += 1
        line.save(update_fields=["quantity"])
    visitor = Visitor(
        customer_id=str(customer.pk) if customer else None,
        cart_key=request.session.session_key,
    )
    record_cart(f"django-cart-{cart.pk}", visitor, request.COOKIES)
    return redirect("/")
