"""Writes to the companies domain. Every function validates with ``full_clean()`` inside a transaction,
so the API, the admin and the seed loader all pass the same rules."""

import datetime
from collections.abc import Callable
from decimal import Decimal

from django.core.exceptions import ValidationError
from django.db import IntegrityError, connection, transaction
from django.utils import timezone

from registry.plain_text import stored_text
from registry.services import bump_version, insert_or_refuse, lock_for_update, model_update, unique_slug

from .changes import record_change, record_company_dependents, record_company_products, snapshot
from .models import (
    ChangeAction,
    Company,
    CompanyStatus,
    ContactPerson,
    ExportMarket,
    ExportRevenue,
    Province,
    Source,
    VerificationState,
)
from .validators import normalize_tax_code

DUPLICATE_TAX_CODE = "A company with this enterprise code is already registered."
# Changing these on a verified company sends it back to pending review.
IDENTITY_FIELDS = {"name", "tax_code"}
EXPORT_MARKET_UPDATABLE_FIELDS = ["country", "kind", "since_year", "source", "note"]
# Revenue rows are verified by officers, so ``verified`` is not among them.
EXPORT_REVENUE_UPDATABLE_FIELDS = ["year", "country", "amount_usd", "source"]
COMPANY_UPDATABLE_FIELDS = [
    "tax_code",
    "name",
    "name_en",
    "short_name",
    "province",
    "address",
    "founded_year",
    "ownership",
    "size_band",
    "website",
    "description_vi",
    "description_en",
    "status",
    "source",
]


@transaction.atomic
def source_upsert(
    *, key: str, title: str, publisher: str = "", url: str = "", published_on: datetime.date | None = None
) -> Source:
    """Create the source with this key, or bring its details up to date."""
    source = Source.objects.filter(key=key).first()
    data = {"title": title, "publisher": publisher, "url": url, "published_on": published_on}
    if source is None:
        source = Source(key=key, **data)
        source.full_clean()
        source.save()
        return source
    source, _ = model_update(instance=source, fields=list(data), data=data)
    return source


@transaction.atomic
def source_cite(*, title: str, publisher: str = "", url: str = "", published_on: datetime.date | None = None) -> Source:
    """The source an enterprise cites for a fact: the existing one with the same title and address, or a
    new one with a key made from its title."""
    try:
        # Looked up in its stored form: the same title in another Unicode form is the same source.
        title = stored_text(title)
    except ValidationError as error:
        raise ValidationError({"title": error.error_list}) from error
    # Requests citing one new source at the same moment get one row, and none of them a 500. On PostgreSQL they
    # take turns (a lock on the title and address, held until the transaction ends): otherwise one could look
    # after the other committed its row under the title's key and take the next key ("...-2"), a second row.
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_xact_lock(hashtext(%s))", [f"source_cite\n{title}\n{url}"])
    for _attempt in range(5):
        existing = Source.objects.filter(title=title, url=url).first()
        if existing is not None:
            return existing
        key = unique_slug(title, queryset=Source.objects.all(), field="key", max_length=90)
        source = Source(key=key, title=title, publisher=publisher, url=url, published_on=published_on)
        source.full_clean(validate_unique=False)  # the unique key is the constraint's to check, at the insert
        try:
            with transaction.atomic():  # a savepoint: a concurrent request that took the key fails only this
                source.save()
            return source
        except IntegrityError:
            continue  # most likely the same source, cited by a request that committed first: look again
    raise ValidationError({"source": "The source could not be recorded; try again."})


@transaction.atomic
def company_create(
    *,
    tax_code: str,
    name: str,
    province: Province,
    ownership: str,
    name_en: str = "",
    short_name: str = "",
    slug: str = "",
    address: str = "",
    founded_year: int | None = None,
    size_band: str = "",
    website: str = "",
    description_vi: str = "",
    description_en: str = "",
    status: str = CompanyStatus.ACTIVE,
    source: Source | None = None,
    representative=None,
) -> Company:
    """Register a company, unverified. The enterprise code is normalised (spaces and dots dropped) and
    checked; ``representative``, when given, becomes the user who may keep the company up to date."""
    tax_code = _normalized_tax_code(tax_code)
    slug_given = bool(slug)
    company = Company(
        tax_code=tax_code,
        name=name,
        name_en=name_en,
        short_name=short_name,
        slug=slug or unique_slug(short_name or name_en or name, queryset=Company.objects.all()),
        province=province,
        address=address,
        founded_year=founded_year,
        ownership=ownership,
        size_band=size_band,
        website=website,
        description_vi=description_vi,
        description_en=description_en,
        status=status,
        source=source,
    )
    company.full_clean()
    for _attempt in range(5):
        try:
            with transaction.atomic():  # a savepoint: a concurrent insert that wins fails only this
                company.save()
            break
        except IntegrityError as error:
            # Another request registered the same code, or took the same slug, since full_clean() looked.
            if Company.objects.filter(tax_code=company.tax_code).exists():
                raise _clash("tax_code", DUPLICATE_TAX_CODE) from error
            if slug_given:
                raise _clash("slug", "This slug is taken.") from error
            company.slug = unique_slug(short_name or name_en or name, queryset=Company.objects.all())
    else:
        raise ValidationError("The company could not be registered; try again.")
    if representative is not None:
        company.representatives.add(representative)
    record_change(company, ChangeAction.CREATE)
    return company


def _normalized_tax_code(tax_code: str) -> str:
    try:
        return normalize_tax_code(tax_code)
    except ValidationError as error:
        raise ValidationError({"tax_code": error.error_list}) from error


def _clash(field: str, message: str) -> ValidationError:
    """A field's value another row has taken: code "unique", as Django's own unique checks give it (a dict of
    plain messages would drop the code, and the API tells a clash, 409, from a broken rule by it)."""
    return ValidationError({field: ValidationError(message, code="unique")})


def company_lock(*company_ids) -> None:
    """Lock these companies' rows, in id order, until the transaction ends. Every write to a company's parts
    (products, export markets, revenue figures, contact persons) takes its company's lock before anything
    else: such a write also updates the company (its version, its search text) while a company's rename
    rewrites its products, so writers locking in the other order could deadlock, and PostgreSQL would fail
    one of them. The company's own writes lock it first anyway (``lock_for_update``)."""
    rows = Company.objects.select_for_update(no_key=True).filter(pk__in=company_ids).order_by("pk")
    list(rows.values_list("pk", flat=True))


@transaction.atomic
def company_update(*, company: Company, data: dict, expected_version: int | None = None) -> Company:
    """Change a company's profile (and, as a correction, its enterprise code). A change of identity
    (name, enterprise code) of a verified company sends it back to pending review."""
    company = lock_for_update(company, expected_version=expected_version)
    before = snapshot(company)
    if "tax_code" in data:
        data = {**data, "tax_code": _normalized_tax_code(data["tax_code"])}
    try:
        with transaction.atomic():
            company, changed = model_update(instance=company, fields=COMPANY_UPDATABLE_FIELDS, data=data)
    except IntegrityError as error:
        raise _clash("tax_code", DUPLICATE_TAX_CODE) from error
    if set(changed) & IDENTITY_FIELDS:
        _back_to_review(company)
    if set(changed) & {"name", "name_en", "short_name"}:
        # Product search matches the company's names (the product's ``search_context``), refreshed on save.
        for product in company.products.select_related("company", "category"):
            product.save(update_fields=["updated_at"])
    _company_changed(company, before)
    return company


@transaction.atomic
def company_delete(*, company: Company, expected_version: int | None = None) -> None:
    company = lock_for_update(company, expected_version=expected_version)
    for dependents in (company.products.all(), company.export_markets.all(), company.export_revenues.all()):
        for dependent in dependents:
            record_change(dependent, ChangeAction.DELETE)
    record_change(company, ChangeAction.DELETE)
    company.delete()


@transaction.atomic
def company_set_contact_persons(*, company: Company, contact_persons: list[dict]) -> Company:
    """Replace the company's contact persons (each a dict of name, role, phone, email)."""
    company_lock(company.pk)
    persons = [ContactPerson(company=company, **fields) for fields in contact_persons]
    for person in persons:
        person.full_clean(exclude=["company"])
    before = snapshot(company)
    company.contact_persons.all().delete()
    ContactPerson.objects.bulk_create(persons)
    bump_version(Company, company.pk)
    record_change(company, ChangeAction.UPDATE, before=before)
    return company


def _company_changed(company: Company, before: dict) -> None:
    """Log a change of the company and, when what the public sees of its records depends on it (status,
    enterprise code), the new public view of its products, markets and figures."""
    event = record_change(company, ChangeAction.UPDATE, before=before)
    if event is not None and {"status", "tax_code"} & set(event.changes):
        record_company_dependents(company)


def _back_to_review(company: Company) -> None:
    """A verified company whose identity or figures changed needs an officer's review again."""
    if company.verification == VerificationState.VERIFIED:
        Company.objects.filter(pk=company.pk).update(verification=VerificationState.PENDING)
        company.verification = VerificationState.PENDING


def company_set_product_search_text(*, company_id, text: str) -> None:
    """Store the folded text of the company's products that company search matches (``search_products``).
    The products app computes it and calls this after every change to a product or a category."""
    Company.objects.filter(pk=company_id).update(search_products=text)


def _officer_decision(company: Company, **fields) -> Company:
    company = lock_for_update(company)
    before = snapshot(company)
    for name, value in fields.items():
        setattr(company, name, value)
    company.version += 1
    company.full_clean()
    company.save()
    _company_changed(company, before)
    return company


@transaction.atomic
def company_verify(*, company: Company, by=None, at: datetime.datetime | None = None) -> Company:
    """Mark a company verified, by an officer (``by``)."""
    return _officer_decision(
        company,
        verification=VerificationState.VERIFIED,
        verified_at=at or timezone.now(),
        verified_by=by,
        verification_note="",
    )


@transaction.atomic
def company_reject(*, company: Company, by, reason: str) -> Company:
    """An officer refuses to verify the company, saying why."""
    if not reason.strip():
        raise ValidationError({"reason": "Say why the company is rejected."})
    return _officer_decision(
        company,
        verification=VerificationState.REJECTED,
        verified_at=None,
        verified_by=by,
        verification_note=reason.strip(),
    )


@transaction.atomic
def company_suspend(*, company: Company, by, reason: str) -> Company:
    """An officer suspends a company: it disappears from public lists until reinstated."""
    if not reason.strip():
        raise ValidationError({"reason": "Say why the company is suspended."})
    return _officer_decision(company, status=CompanyStatus.SUSPENDED, verification_note=reason.strip())


@transaction.atomic
def company_reinstate(*, company: Company, by) -> Company:
    return _officer_decision(company, status=CompanyStatus.ACTIVE, verification_note="")


@transaction.atomic
def export_market_create(
    *,
    company: Company,
    country: str,
    kind: str,
    source: Source,
    since_year: int | None = None,
    note: str = "",
) -> ExportMarket:
    company_lock(company.pk)
    market = ExportMarket(company=company, country=country, kind=kind, source=source, since_year=since_year, note=note)
    market.full_clean()
    insert_or_refuse(market, "This company already has an export market of this kind in this country.")
    bump_version(Company, company.pk)
    record_change(market, ChangeAction.CREATE)
    return market


# How the apps that keep a copy of an export market's country copy it again (products: where each product is
# sold, for its filter by category and market). They register in their AppConfig.ready, so that this module
# needs no import of them.
_market_country_copies: list[Callable[..., None]] = []


def register_market_country_copy(copy: Callable[..., None]) -> None:
    """``copy(market_ids=[...])`` is called after those markets' country changed."""
    _market_country_copies.append(copy)


def export_markets_copy_country(*, market_ids) -> None:
    """After the markets' country changed: every copy of it is made again."""
    for copy in _market_country_copies:
        copy(market_ids=market_ids)


@transaction.atomic
def export_market_update(*, market: ExportMarket, data: dict, expected_version: int | None = None) -> ExportMarket:
    company_lock(market.company_id)
    market = lock_for_update(market, expected_version=expected_version)
    before = snapshot(market)
    market, changed = model_update(instance=market, fields=EXPORT_MARKET_UPDATABLE_FIELDS, data=data)
    if changed:
        if "country" in changed:
            export_markets_copy_country(market_ids=[market.pk])
        bump_version(Company, market.company_id)
        record_change(market, ChangeAction.UPDATE, before=before)
        record_company_products(market.company_id)  # products sold there now list another country
    return market


@transaction.atomic
def export_market_delete(*, market: ExportMarket, expected_version: int | None = None) -> None:
    company_lock(market.company_id)
    market = lock_for_update(market, expected_version=expected_version)
    record_change(market, ChangeAction.DELETE)
    market.delete()
    bump_version(Company, market.company_id)
    record_company_products(market.company_id)  # products sold there no longer list it


@transaction.atomic
def export_revenue_create(
    *,
    company: Company,
    year: int,
    amount_usd: Decimal,
    source: Source,
    country: str = "",
    verified: bool = False,
) -> ExportRevenue:
    company_lock(company.pk)
    revenue = ExportRevenue(
        company=company, year=year, amount_usd=amount_usd, source=source, country=country, verified=verified
    )
    revenue.full_clean()
    insert_or_refuse(revenue, "This company already has a revenue figure for this year and country.")
    record_change(revenue, ChangeAction.CREATE)
    _figures_changed(company)
    return revenue


@transaction.atomic
def export_revenue_update(*, revenue: ExportRevenue, data: dict, expected_version: int | None = None) -> ExportRevenue:
    company_lock(revenue.company_id)
    revenue = lock_for_update(revenue, expected_version=expected_version)
    before = snapshot(revenue)
    revenue, changed = model_update(instance=revenue, fields=EXPORT_REVENUE_UPDATABLE_FIELDS, data=data)
    if changed:
        if revenue.verified:
            # A changed figure is no longer the one an officer verified: it waits for review again.
            ExportRevenue.objects.filter(pk=revenue.pk).update(verified=False)
            revenue.verified = False
        record_change(revenue, ChangeAction.UPDATE, before=before)
        _figures_changed(revenue.company)
    return revenue


@transaction.atomic
def export_revenue_verify(*, revenue: ExportRevenue, by) -> ExportRevenue:
    """An officer confirms a figure: it becomes public."""
    company_lock(revenue.company_id)
    revenue = lock_for_update(revenue)
    before = snapshot(revenue)
    revenue.verified = True
    revenue.version += 1
    revenue.save(update_fields=["verified", "version", "updated_at"])
    bump_version(Company, revenue.company_id)
    record_change(revenue, ChangeAction.UPDATE, before=before)
    return revenue


@transaction.atomic
def export_revenue_delete(*, revenue: ExportRevenue, expected_version: int | None = None) -> None:
    company_lock(revenue.company_id)
    revenue = lock_for_update(revenue, expected_version=expected_version)
    record_change(revenue, ChangeAction.DELETE)
    revenue.delete()
    _figures_changed(revenue.company)


def _figures_changed(company: Company) -> None:
    """A company's figures changed: its version moves, and a verified company goes back to review."""
    company = Company.objects.get(pk=company.pk)
    before = snapshot(company)
    bump_version(Company, company.pk)
    _back_to_review(company)
    _company_changed(company, before)
