"""Small assertions shared by the API tests."""

from django.urls import reverse


def get_json(client, url_name: str, params=None, status: int = 200, **url_kwargs):
    """GET a named URL and return its JSON body after checking the status and that the body is JSON."""
    response = client.get(reverse(url_name, kwargs=url_kwargs or None), params or {})
    assert response.status_code == status, (response.status_code, response.content[:500])
    assert response["Content-Type"].startswith("application/json"), response["Content-Type"]
    return response.json()


def tax_codes(client, params=None) -> list[str]:
    """Tax codes of the companies list for these query parameters, in the order returned."""
    return [row["tax_code"] for row in get_json(client, "company-list", params)["results"]]


def product_names(client, params=None) -> list[str]:
    return [row["name"] for row in get_json(client, "product-list", params)["results"]]
