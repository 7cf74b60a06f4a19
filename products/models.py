"""Products, the category tree, and the standards products comply with."""

from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import Q
from treebeard.mp_tree import MP_Node

from companies.validators import validate_past_year
from registry.models import FoldedSearchTextMixin, TimeStampedModel
from registry.text import fold_join

from .querysets import ProductQuerySet


class Category(FoldedSearchTextMixin, MP_Node):
    """A node of the product category tree (Telecommunications › 5G equipment).

    Stored as a materialised path (django-treebeard), so "this category and its descendants" is one
    indexed prefix match on ``path``.
    """

    slug = models.SlugField(max_length=100, unique=True)
    name = models.CharField(max_length=200, help_text="Name in Vietnamese.")
    name_en = models.CharField(max_length=200, help_text="Name in English.")
    search_name = models.TextField(editable=False, default="")

    node_order_by = ["name_en"]

    class Meta:
        verbose_name_plural = "categories"

    def __str__(self) -> str:
        return self.name_en

    def search_texts(self) -> dict[str, str]:
        return {"search_name": fold_join(self.name, self.name_en)}


class Standard(models.Model):
    """A technical standard a product can comply with (3GPP Release 15, ISO/IEC 7816, TCVN 11930:2017)."""

    code = models.SlugField(max_length=60, unique=True)
    name = models.CharField(max_length=200)
    body = models.CharField(max_length=100, help_text="Standards body: 3GPP, ISO/IEC, TCVN, ...")
    url = models.URLField(max_length=300, blank=True)

    class Meta:
        ordering = ["code"]

    def __str__(self) -> str:
        return self.name


class Maturity(models.TextChoices):
    RESEARCH = "research", "Research"
    PILOT = "pilot", "Pilot"
    COMMERCIAL = "commercial", "Commercial"
    EXPORTED = "exported", "Exported"


class Product(FoldedSearchTextMixin, TimeStampedModel):
    """A product of one company."""

    # No single-column indexes on company and slug: the (company, slug) unique index serves both lookups.
    company = models.ForeignKey("companies.Company", on_delete=models.CASCADE, related_name="products", db_index=False)
    name = models.CharField(max_length=300)
    slug = models.SlugField(max_length=120, db_index=False)
    category = models.ForeignKey(Category, on_delete=models.PROTECT, related_name="products")
    description_vi = models.TextField(blank=True)
    description_en = models.TextField(blank=True)
    launch_year = models.PositiveSmallIntegerField(null=True, blank=True, validators=[validate_past_year])
    maturity = models.CharField(max_length=12, choices=Maturity.choices)
    standards = models.ManyToManyField(Standard, blank=True, related_name="products")
    miv_certified_on = models.DateField(
        null=True, blank=True, help_text='Date the product was certified as a "Make in Vietnam" product.'
    )
    miv_certification_source = models.ForeignKey(
        "companies.Source", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    export_markets = models.ManyToManyField(
        "companies.ExportMarket",
        through="ProductExportMarket",
        blank=True,
        related_name="products",
        help_text="The company's export markets in which this product is sold.",
    )
    source = models.ForeignKey(
        "companies.Source",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        help_text="Where the facts about this product come from.",
    )
    search_name = models.TextField(editable=False, default="")
    search_body = models.TextField(editable=False, default="")
    # Folded names of its category and company, so that product search is one indexed condition per column.
    search_context = models.TextField(editable=False, default="")

    objects = ProductQuerySet.as_manager()

    class Meta:
        ordering = ["name", "id"]
        indexes = [
            # The default order, with what a search's name ranks read (see Company's indexes).
            models.Index(fields=["name", "id"], include=["search_name", "company_id"], name="product_in_order"),
        ]
        constraints = [
            models.UniqueConstraint(fields=["company", "slug"], name="product_slug_unique_per_company"),
            models.CheckConstraint(
                condition=Q(miv_certified_on__isnull=True) | Q(miv_certification_source__isnull=False),
                name="product_certification_has_source",
            ),
        ]

    def __str__(self) -> str:
        return self.name

    @property
    def is_certified(self) -> bool:
        return self.miv_certified_on is not None

    def clean(self) -> None:
        super().clean()
        if self.miv_certified_on and self.miv_certification_source_id is None:
            raise ValidationError({"miv_certification_source": "A Make in Vietnam certification needs its source."})
        if self.miv_certified_on and self.miv_certified_on.year < 2019:
            # The "Make in Vietnam" programme was launched in May 2019.
            raise ValidationError({"miv_certified_on": "Make in Vietnam certification began in 2019."})

    def search_texts(self) -> dict[str, str]:
        return {
            "search_name": fold_join(self.name),
            "search_body": fold_join(self.description_vi, self.description_en),
            "search_context": fold_join(
                self.category.name,
                self.category.name_en,
                self.company.name,
                self.company.name_en,
                self.company.short_name,
            ),
        }


class ProductExportMarket(models.Model):
    """That a product is sold in one of its company's export markets: the rows behind ``Product.export_markets``.

    Each row also holds a copy of the market's country and of the product's category, so that "products of a
    category sold in a country" is one range of one index (``sold_where``), not every product sold in the
    country fetched to look at its category: at 100,000 companies that read 13,000 products to keep 1,000.
    It holds a copy of the product's name too, the list's order: within that range the index is in name
    order, and a page is read from it as far as the page goes, not every match fetched and sorted
    (``ProductQuerySet.in_markets``). ``products.services`` writes the rows with their copies and copies them
    again after a product's name or category or a market's country changed (``product_markets_copy_again``,
    which ``companies.services`` calls after a change of country); the admin does the same after its edits.
    """

    product = models.ForeignKey(Product, on_delete=models.CASCADE)
    exportmarket = models.ForeignKey("companies.ExportMarket", on_delete=models.CASCADE)
    country = models.CharField(max_length=2, editable=False, help_text="A copy of the export market's country.")
    # No index of its own: deleting a category (refused while it has products) is the only lookup by it alone.
    category = models.ForeignKey(
        Category,
        on_delete=models.PROTECT,
        related_name="+",
        db_index=False,
        editable=False,
        help_text="A copy of the product's category.",
    )
    product_name = models.CharField(max_length=200, editable=False, help_text="A copy of the product's name.")

    class Meta:
        db_table = "products_product_export_markets"  # the table Django made for the field before it had a model
        unique_together = [("product", "exportmarket")]
        indexes = [
            models.Index(fields=["country", "category", "product_name", "product"], name="product_market_sold_where"),
            # "Products sold in this market" from the index alone (a market's products, deleting a market).
            models.Index(fields=["exportmarket", "product"], name="product_market_by_market"),
        ]

    def __str__(self) -> str:
        return f"{self.product_id} in {self.country}"

    @classmethod
    def of(cls, product: Product, market) -> "ProductExportMarket":
        """The row for ``product`` sold in ``market``, with its copies (for ``bulk_create``)."""
        row = cls(product=product, exportmarket=market)
        row.take_copies()
        return row

    def take_copies(self) -> None:
        self.country = str(self.exportmarket.country)
        self.category_id = self.product.category_id
        self.product_name = self.product.name

    def save(self, *args, **kwargs):
        self.take_copies()  # rows saved one by one: the admin's inline
        super().save(*args, **kwargs)
