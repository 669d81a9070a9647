"""Upload the register's XLSX file and follow its import. A job is its uploader's alone:
to anyone else it is a 404."""

import io
import zipfile

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import FileResponse, Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.template.defaultfilters import filesizeformat
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET, require_http_methods

from . import imports
from .models import ImportJob
from .once import AlreadySent, OnceMixin, once
from .scope import get_scope

RECENT_JOBS = 10


class ImportForm(OnceMixin, forms.Form):
    file = forms.FileField(
        label=gettext_lazy("Register file (.xlsx)"),
        help_text=gettext_lazy("Fill in the template; at most 20 MB."),
        widget=forms.FileInput(attrs={"accept": f".xlsx,{imports.XLSX_TYPE}"}),
    )

    def clean_file(self):
        upload = self.cleaned_data["file"]
        if not upload.name.lower().endswith(".xlsx"):
            raise forms.ValidationError(
                _("Upload an .xlsx file. Save an .xls or .csv file as .xlsx first.")
            )
        if upload.size > imports.MAX_UPLOAD_BYTES:
            raise forms.ValidationError(
                _("This file is %(size)s; the limit is %(limit)s.")
                % {
                    "size": filesizeformat(upload.size),
                    "limit": filesizeformat(imports.MAX_UPLOAD_BYTES),
                }
            )
        if not zipfile.is_zipfile(upload):
            raise forms.ValidationError(_("This file is not an XLSX workbook."))
        upload.seek(0)
        return upload


def _own_job(request, import_id):
    return get_object_or_404(ImportJob, pk=import_id, user=request.user)


@login_required
@require_http_methods(["GET", "POST"])
def import_upload(request):
    if not imports.may_import(get_scope(request)):
        raise PermissionDenied
    form = ImportForm(request.POST, request.FILES) if request.method == "POST" else ImportForm()
    try:
        if form.is_valid():
            with once(form, by=request.user) as made:
                job = imports.start_import(by=request.user, file=form.cleaned_data["file"])
                made(job)
            messages.success(request, _("The file is uploaded. Its rows are being checked."))
            return redirect(job)
    except AlreadySent as sent:
        return sent.response(request)
    jobs = ImportJob.objects.filter(user=request.user)[:RECENT_JOBS]
    return render(request, "grids/import_upload.html", {"form": form, "jobs": jobs})


@login_required
@require_GET
def import_template(request):
    if not imports.may_import(get_scope(request)):
        raise PermissionDenied
    stream = io.BytesIO()
    imports.build_template(request.user, stream)
    response = HttpResponse(stream.getvalue(), content_type=imports.XLSX_TYPE)
    response["Content-Disposition"] = 'attachment; filename="register-template.xlsx"'
    return response


@login_required
@require_GET
def import_detail(request, import_id):
    """The job's progress; htmx polls it for the partial until the job is finished."""
    job = _own_job(request, import_id)
    template = "grids/_import_progress.html" if request.htmx else "grids/import_detail.html"
    return render(request, template, {"job": job})


@login_required
@require_GET
def import_report(request, import_id):
    job = _own_job(request, import_id)
    if not job.report:
        raise Http404
    return FileResponse(
        job.report.open("rb"),
        as_attachment=True,
        filename=f"import-{job.pk}-errors.xlsx",
        content_type=imports.XLSX_TYPE,
    )
