"""The change log (``ChangeEvent``): every write service calls ``record_change``.

Each kind of record registers two snapshots: ``full`` (every field, for the audit log's old and new values)
and ``public`` (what anyone may see of it, or None when it is not public). Apps register their own kinds
(products registers products in its AppConfig.ready), so this module needs no import of them.
"""

import datetime
from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal

from django.db import models

from registry.context import current_actor

from .models import ChangeAction, ChangeEvent, Company, CompanyStatus, ExportMarket, ExportRevenue


@dataclass(frozen=True)
class Snapshots:
    object_type: str
    full: Callable[[models.Model], dict]
    public: Callable[[models.Model], dict | None]


_KINDS: dict[str, Snapshots] = {}


def register(model: type[models.Model], snapshots: Snapshots) -> None:
    _KINDS[model._meta.label] = snapshots


def is_logged(obj: models.Model) -> bool:
    """Whether changes of this kind of record go to the change log."""
    return obj._meta.label in _KINDS


def kinds() -> list[str]:
    """The object types the change feed knows."""
    return sorted(snapshots.object_type for snapshots in _KINDS.values())


def jsonable(value):
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, (datetime.date, datetime.datetime)):
        return value.isoformat()
    if hasattr(value, "code") and not isinstance(value, models.Model):  # django-countries Country
        return value.code or None
    return value


def snapshot(obj: models.Model) -> dict:
    """Every field of ``obj`` as JSON values: the "before" of a change."""
    return _KINDS[obj._meta.label].full(obj)


def record_change(obj: models.Model, action: str, *, before: dict | None = None) -> ChangeEvent | None:
    """Log a create, change (``before`` = ``snapshot(obj)`` taken before it) or delete (call it before the
    row is deleted). A change that changed nothing is not logged."""
    kind = _KINDS[obj._meta.label]
    after = None if action == ChangeAction.DELETE else kind.full(obj)
    changes = {
        field: [(before or {}).get(field), (after or {}).get(field)]
        for field in sorted(set(before or {}) | set(after or {}))
        if (before or {}).get(field) != (after or {}).get(field)
    }
    if action == ChangeAction.UPDATE and not changes:
        return None
    public_after = None if action == ChangeAction.DELETE else kind.public(obj)
    return _log(kind, obj.pk, action, changes, public_after, force=True)


def record_visibility(obj: models.Model) -> ChangeEvent | None:
    """Log that what the public sees of ``obj`` changed although ``obj`` itself did not (its company was
    suspended or renamed, say); nothing is logged when its public view is unchanged."""
    kind = _KINDS[obj._meta.label]
    return _log(kind, obj.pk, ChangeAction.UPDATE, {}, kind.public(obj), force=False)


def _log(kind: Snapshots, pk, action: str, changes: dict, public_after: dict | None, *, force: bool):
    public_before = (
        ChangeEvent.objects.filter(object_type=kind.object_type, object_id=pk, public_changed=True)
        .order_by("-id")
        .values_list("public_data", flat=True)
        .first()
    )
    public_changed = public_after != public_before
    if not force and not public_changed:
        return None
    acting = current_actor()
    return ChangeEvent.objects.create(
        object_type=kind.object_type,
        object_id=pk,
        action=action,
        changes=changes,
        public_data=public_after,
        public_changed=public_changed,
        actor=acting.user,
        api_key=acting.api_key,
    )


def record_company_dependents(company: Company) -> None:
    """After a change to what the public sees of a company (status, name, enterprise code), log the new
    public view of its products, export markets and revenue figures."""
    for dependents in (company.products.all(), company.export_markets.all(), company.export_revenues.all()):
        for dependent in dependents:
            record_visibility(dependent)


def record_company_products(company_id) -> None:
    """After a change of a company's export markets, log its products whose public markets changed."""
    for product in Company.objects.get(pk=company_id).products.all():
        record_visibility(product)


def _is_public(company: Company) -> bool:
    return company.status == CompanyStatus.ACTIVE


def _company_full(company: Company) -> dict:
    fields = [
        "tax_code", "name", "name_en", "short_name", "slug", "address", "founded_year", "ownership", "size_band",
        "website", "description_vi", "description_en", "status", "verification", "verified_at",
        "verification_note",
    ]  # fmt: skip
    data = {field: jsonable(getattr(company, field)) for field in fields}
    data["province"] = company.province_id
    data["source"] = company.source.key if company.source_id else None
    data["verified_by"] = company.verified_by_id
    data["representatives"] = sorted(company.representatives.values_list("pk", flat=True))
    data["contact_persons"] = list(company.contact_persons.order_by("pk").values("name", "role", "phone", "email"))
    return data


def _company_public(company: Company) -> dict | None:
    if not _is_public(company):
        return None
    fields = [
        "tax_code", "name", "name_en", "short_name", "slug", "address", "founded_year", "ownership", "size_band",
        "website", "description_vi", "description_en", "status", "verification", "verified_at",
    ]  # fmt: skip
    data = {field: jsonable(getattr(company, field)) for field in fields}
    data["province"] = company.province_id
    return data


def _market_full(market: ExportMarket) -> dict:
    return {
        "company": market.company.tax_code,
        "country": market.country.code,
        "kind": market.kind,
        "since_year": market.since_year,
        "note": market.note,
        "source": market.source.key,
    }


def _market_public(market: ExportMarket) -> dict | None:
    return _market_full(market) if _is_public(market.company) else None


def _revenue_full(revenue: ExportRevenue) -> dict:
    return {
        "company": revenue.company.tax_code,
        "year": revenue.year,
        "country": revenue.country.code or None,
        "amount_usd": f"{Decimal(revenue.amount_usd):.2f}",  # as the API shows it, whatever was assigned
        "verified": revenue.verified,
        "source": revenue.source.key,
    }


def _revenue_public(revenue: ExportRevenue) -> dict | None:
    if not revenue.verified or not _is_public(revenue.company):
        return None
    return _revenue_full(revenue)


register(Company, Snapshots("company", _company_full, _company_public))
register(ExportMarket, Snapshots("export_market", _market_full, _market_public))
register(ExportRevenue, Snapshots("export_revenue", _revenue_full, _revenue_public))
