"""Reporting and lists: included in the incidents namespace."""

urlpatterns = []
