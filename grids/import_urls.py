"""The register's XLSX import: patterns included in the `grids` namespace."""

urlpatterns = []
