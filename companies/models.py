"""Companies, their export markets and yearly export revenue, the provinces, and the sources of facts."""

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MinValueValidator, RegexValidator
from django.db import models
from django.db.models import Q
from django_countries.fields import CountryField

from registry.models import HOME_COUNTRY, FoldedSearchTextMixin, TimeStampedModel
from registry.text import fold_join

from .querysets import CompanyQuerySet
from .validators import (
    EARLIEST_YEAR,
    TAX_CODE_PATTERN,
    validate_past_year,
    validate_plausible_revenue,
    validate_tax_code,
)


class Source(TimeStampedModel):
    """Where a fact from outside the registry comes from: an article, a report, a public record."""

    key = models.SlugField(max_length=100, unique=True, help_text="Stable identifier used by the seed files.")
    title = models.CharField(max_length=300)
    publisher = models.CharField(max_length=200, blank=True)
    url = models.URLField(max_length=500, blank=True)
    published_on = models.DateField(null=True, blank=True)

    class Meta:
        ordering = ["key"]

    def __str__(self) -> str:
        return self.title


class Province(models.Model):
    """One of the 34 provincial-level units in force since 1 July 2025 (codes from vietnam-provinces)."""

    code = models.CharField(
        max_length=2,
        primary_key=True,
        validators=[RegexValidator(r"^[0-9]{2}$", "A province code is two digits, such as 01.")],
        help_text="Official two-digit code, zero-padded (01 = Hà Nội).",
    )
    name = models.CharField(max_length=100)
    codename = models.SlugField(max_length=100, unique=True)
    division_type = models.CharField(max_length=40)

    class Meta:
        ordering = ["code"]

    def __str__(self) -> str:
        return self.name


class Ownership(models.TextChoices):
    STATE_OWNED = "state_owned", "State-owned enterprise"
    JOINT_STOCK = "joint_stock", "Joint-stock company"
    LIMITED_LIABILITY = "limited_liability", "Limited liability company"
    PRIVATE = "private", "Private (sole proprietorship) enterprise"
    PARTNERSHIP = "partnership", "Partnership"


class SizeBand(models.TextChoices):
    """Enterprise size as defined by Decree 80/2021/ND-CP."""

    MICRO = "micro", "Micro"
    SMALL = "small", "Small"
    MEDIUM = "medium", "Medium"
    LARGE = "large", "Large"


class CompanyStatus(models.TextChoices):
    ACTIVE = "active", "Active"
    SUSPENDED = "suspended", "Suspended"
    DISSOLVED = "dissolved", "Dissolved"


class VerificationState(models.TextChoices):
    UNVERIFIED = "unverified", "Unverified"
    PENDING = "pending", "Pending review"
    VERIFIED = "verified", "Verified"
    REJECTED = "rejected", "Rejected"


class Company(FoldedSearchTextMixin, TimeStampedModel):
    """A domestic technology enterprise, identified by its enterprise code (mã số doanh nghiệp)."""

    tax_code = models.CharField(
        max_length=14,
        unique=True,
        validators=[RegexValidator(TAX_CODE_PATTERN), validate_tax_code],
        help_text="Enterprise code: 10 digits, or NNNNNNNNNN-NNN for a branch; validated by its check digit.",
    )
    name = models.CharField(max_length=300, help_text="Legal name in Vietnamese.")
    name_en = models.CharField(max_length=300, blank=True, help_text="English name.")
    short_name = models.CharField(max_length=100, blank=True, help_text="Short or trade name.")
    slug = models.SlugField(max_length=120, unique=True)
    province = models.ForeignKey(Province, on_delete=models.PROTECT, related_name="companies")
    address = models.CharField(max_length=500, blank=True)
    founded_year = models.PositiveSmallIntegerField(null=True, blank=True, validators=[validate_past_year])
    ownership = models.CharField(max_length=20, choices=Ownership.choices)
    size_band = models.CharField(max_length=10, choices=SizeBand.choices, blank=True)
    website = models.URLField(max_length=300, blank=True)
    description_vi = models.TextField(blank=True)
    description_en = models.TextField(blank=True)
    status = models.CharField(max_length=10, choices=CompanyStatus.choices, default=CompanyStatus.ACTIVE)
    verification = models.CharField(
        max_length=10, choices=VerificationState.choices, default=VerificationState.UNVERIFIED
    )
    verified_at = models.DateTimeField(null=True, blank=True)
    verified_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    verification_note = models.CharField(
        max_length=1000, blank=True, help_text="The officer's reason for a rejection or suspension."
    )
    source = models.ForeignKey(
        Source,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        help_text="Where the registration facts (enterprise code, names, province, founding year) come from.",
    )
    representatives = models.ManyToManyField(
        settings.AUTH_USER_MODEL,
        blank=True,
        related_name="represented_companies",
        help_text="Users who may change this company's profile, products, markets and revenue.",
    )
    # Folded copies for search (registry.text.fold): names and descriptions maintained on save; the
    # company's products (names, descriptions, categories) maintained by the product services, so that
    # one trigram-indexed condition per column finds a company by what it makes.
    search_name = models.TextField(editable=False, default="")
    search_body = models.TextField(editable=False, default="")
    search_products = models.TextField(editable=False, default="")

    objects = CompanyQuerySet.as_manager()

    class Meta:
        ordering = ["name", "tax_code"]
        verbose_name_plural = "companies"
        permissions = [
            ("verify_company", "Can verify, reject, suspend and reinstate companies"),
            ("view_sensitive_company_data", "Can read contact persons and unverified figures of any company"),
        ]
        indexes = [
            # The default order: a page of a list filtered by a frequent condition is read in this order,
            # stopping after the page, instead of sorting every match. It holds the folded names and the
            # status too, so that a search's name ranks are read from it alone (registry.search).
            models.Index(fields=["name", "tax_code"], include=["id", "search_name", "status"], name="company_in_order"),
            models.Index(fields=["province", "name"]),
            # A capped count of a province's (verified) companies, read from this index alone: 0.05-0.4 ms,
            # where the province and verification indexes' bitmaps took 1-3 ms (100,000 demo companies).
            models.Index(fields=["province", "verification"], include=["status"], name="company_by_province"),
            models.Index(fields=["founded_year"]),
            models.Index(fields=["verification"]),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(founded_year__isnull=True) | Q(founded_year__gte=EARLIEST_YEAR),
                name="company_founded_year_plausible",
            ),
            models.CheckConstraint(
                condition=~Q(verification=VerificationState.VERIFIED) | Q(verified_at__isnull=False),
                name="company_verified_has_date",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.name} ({self.tax_code})"

    @property
    def is_verified(self) -> bool:
        return self.verification == VerificationState.VERIFIED

    def search_texts(self) -> dict[str, str]:
        return {
            "search_name": fold_join(self.name, self.name_en, self.short_name),
            "search_body": fold_join(self.description_vi, self.description_en),
        }


class ContactPerson(TimeStampedModel):
    """A company's contact person. Sensitive: shown only to the company's representatives and officers."""

    company = models.ForeignKey(Company, on_delete=models.CASCADE, related_name="contact_persons")
    name = models.CharField(max_length=200)
    role = models.CharField(max_length=200, blank=True)
    phone = models.CharField(
        max_length=30,
        blank=True,
        validators=[RegexValidator(r"^\+?[0-9 .\-()]{6,30}$", "Enter a phone number of digits, spaces and + . - ( ).")],
    )
    email = models.EmailField(blank=True)

    class Meta:
        # company_id, not company: ordering by the company would join it to sort by its name.
        ordering = ["company_id", "name", "id"]

    def __str__(self) -> str:
        return self.name


class MarketKind(models.TextChoices):
    EXPORT_SALES = "export_sales", "Export sales"
    OFFICE = "office", "Office"
    SUBSIDIARY = "subsidiary", "Subsidiary"
    FACTORY = "factory", "Factory"
    PARTNERSHIP = "partnership", "Partnership"


class ExportMarket(TimeStampedModel):
    """A company's presence in a foreign country."""

    # Indexed by the unique (company, country, kind) index, which starts with it.
    company = models.ForeignKey(Company, on_delete=models.CASCADE, related_name="export_markets", db_index=False)
    country = CountryField(help_text="ISO 3166-1 alpha-2 code of the foreign country.")
    kind = models.CharField(max_length=20, choices=MarketKind.choices)
    since_year = models.PositiveSmallIntegerField(null=True, blank=True, validators=[validate_past_year])
    source = models.ForeignKey(Source, on_delete=models.PROTECT, related_name="+")
    note = models.CharField(max_length=500, blank=True)

    class Meta:
        ordering = ["company_id", "country", "kind"]  # company_id: see ContactPerson
        constraints = [
            models.UniqueConstraint(fields=["company", "country", "kind"], name="export_market_unique_kind"),
            models.CheckConstraint(condition=~Q(country=HOME_COUNTRY), name="export_market_is_foreign"),
        ]
        indexes = [models.Index(fields=["country", "company"])]

    def __str__(self) -> str:
        return f"{self.company.short_name or self.company.name} in {self.country.code} ({self.kind})"


class ExportRevenue(TimeStampedModel):
    """A company's revenue from foreign markets in one year, in USD; for one country or, blank, in total."""

    # Indexed by the unique (company, year, country) index, which starts with it.
    company = models.ForeignKey(Company, on_delete=models.CASCADE, related_name="export_revenues", db_index=False)
    year = models.PositiveSmallIntegerField(validators=[validate_past_year])
    amount_usd = models.DecimalField(max_digits=16, decimal_places=2, validators=[MinValueValidator(0)])
    country = CountryField(blank=True, help_text="Blank: the total over all foreign markets.")
    source = models.ForeignKey(Source, on_delete=models.PROTECT, related_name="+")
    verified = models.BooleanField(default=False)

    class Meta:
        ordering = ["company_id", "-year", "country"]  # company_id: see ContactPerson
        constraints = [
            models.UniqueConstraint(fields=["company", "year", "country"], name="export_revenue_unique_year"),
            models.CheckConstraint(condition=Q(amount_usd__gte=0), name="export_revenue_not_negative"),
            models.CheckConstraint(condition=Q(year__gte=EARLIEST_YEAR), name="export_revenue_year_plausible"),
            models.CheckConstraint(condition=~Q(country=HOME_COUNTRY), name="export_revenue_is_foreign"),
        ]
        indexes = [models.Index(fields=["company", "country", "-year"])]

    def __str__(self) -> str:
        return f"{self.company.tax_code} {self.year} {self.country.code or 'total'}: {self.amount_usd} USD"

    def clean(self) -> None:
        super().clean()
        # Here, not among the field's validators (which migrations record): a bound of plausibility may move.
        try:
            validate_plausible_revenue(self.amount_usd)
        except ValidationError as error:
            raise ValidationError({"amount_usd": error.error_list}) from error


class ChangeAction(models.TextChoices):
    CREATE = "create", "Created"
    UPDATE = "update", "Changed"
    DELETE = "delete", "Deleted"


class ChangeEvent(models.Model):
    """One create, change or delete of a registry record: the audit log and the change feed in one table.

    ``id`` orders all changes and is the feed's cursor. ``changes`` holds every changed field's old and new
    value (for officers). ``public_data`` is what the public may see of the record after the change (None:
    not public, or deleted); ``public_changed`` says whether that differs from before, so the public feed
    shows exactly the changes that alter the public state, including records becoming hidden.
    """

    at = models.DateTimeField(auto_now_add=True, db_index=True)
    object_type = models.CharField(max_length=30)
    object_id = models.BigIntegerField()
    action = models.CharField(max_length=10, choices=ChangeAction.choices)
    changes = models.JSONField(default=dict)
    public_data = models.JSONField(null=True)
    public_changed = models.BooleanField(default=False)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    api_key = models.ForeignKey("accounts.ApiKey", null=True, blank=True, on_delete=models.SET_NULL, related_name="+")

    class Meta:
        ordering = ["id"]
        indexes = [
            models.Index(fields=["object_type", "object_id", "-id"]),
            models.Index(fields=["public_changed", "id"]),
        ]

    def __str__(self) -> str:
        return f"#{self.pk} {self.action} {self.object_type} {self.object_id}"
