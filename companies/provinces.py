"""The 34 provincial-level units in force since 1 July 2025, as kept by the vietnam-provinces library."""

from vietnam_provinces import Province as LibraryProvince


def province_code(unit: LibraryProvince) -> str:
    """The official two-digit code, zero-padded: ``"01"`` for Hà Nội."""
    return f"{int(unit.code):02d}"


PROVINCE_CHOICES = sorted((province_code(unit), unit.name) for unit in LibraryProvince.iter_all())
