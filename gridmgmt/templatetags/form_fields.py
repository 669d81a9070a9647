"""Form fields in crispy forms' Bootstrap 5 markup, written in Python: `{{ field|as_field }}`
for `{{ field|as_crispy_field }}` and `{{ form|as_fields }}` for `{{ form|crispy }}`. Crispy
draws each field through a large template with several includes (about 0.3 ms a field); a
patrol's page has twenty fields. The same tags, attributes and classes, in one pass; what this
does not write (a field with errors, a checkbox, a file already uploaded, a form with a crispy
helper) is left to crispy, so a form shown again with its errors looks as crispy draws it.
Django's own inputs, text areas and selects are written here too, in the markup of Django's
widget templates; any other widget by its own render."""

from crispy_forms.templatetags.crispy_forms_filters import as_crispy_field, as_crispy_form
from django import forms, template
from django.utils.safestring import mark_safe

from gridmgmt.widgets import Select, attrs_html, choices_read_once, escape, options_html

register = template.Library()

# Widgets with markup of their own in crispy's template: written here only as these classes
# (a subclass may have a template of its own); any other widget is drawn by its own render
# with crispy's classes, as crispy's template does.
SELECTS = {forms.Select}
CHOICES = {forms.RadioSelect, forms.CheckboxSelectMultiple}
FILES = {forms.FileInput, forms.ClearableFileInput}
SPECIAL = (forms.CheckboxInput, forms.MultiWidget, forms.Select, forms.RadioSelect, forms.FileInput)


def _written_here(bound):
    widget = bound.field.widget
    if widget.is_hidden:
        return True
    if getattr(bound.form, "helper", None) is not None or bound.errors:
        return False
    kind = type(widget)
    if kind in SELECTS or kind in CHOICES or kind in FILES:
        return True
    if kind.__module__ == "gridmgmt.widgets" and isinstance(widget, forms.Select):
        return True
    return not isinstance(widget, SPECIAL)


def _add_class(widget, extra):
    """What crispy's {% crispy_field field 'class' extra %} does to the widget."""
    class_name = type(widget).__name__.lower()
    css_class = widget.attrs.get("class", "")
    if css_class:
        if css_class.find(class_name) == -1:
            css_class += f" {class_name}"
    else:
        css_class = class_name
    for name in extra.split():
        if name not in css_class.split():
            css_class += f" {name}"
    widget.attrs["class"] = css_class


# Django's widgets written here, in the markup of their templates (django/forms/widgets/).
INPUTS = {
    forms.TextInput,
    forms.NumberInput,
    forms.EmailInput,
    forms.URLInput,
    forms.HiddenInput,
    forms.DateInput,
    forms.DateTimeInput,
    forms.TimeInput,
}


def _widget(bound):
    """str(bound): the widget drawn by BoundField.as_widget, for the widgets in INPUTS, a
    Textarea and a Select without a template; any other by its own render. A select's
    choices are read once (`choices_read_once`)."""
    if type(bound.field.widget) in (forms.Select, Select):
        with choices_read_once(bound.field.widget):
            return _draw(bound)
    return _draw(bound)


def _draw(bound):
    widget = bound.field.widget
    kind = type(widget)
    if not (kind in INPUTS or kind is forms.Textarea or kind is forms.Select) or (
        bound.field.localize
    ):
        return str(bound)
    attrs = bound.build_widget_attrs({})
    if bound.auto_id and "id" not in widget.attrs:
        attrs.setdefault("id", bound.auto_id)
    if kind is forms.Select:
        # Flat choices in one pass (Django's optgroups makes a dict of a dozen keys an
        # option); choices in groups below, as Django's get_context gives them.
        options = options_html(widget, widget.format_value(bound.value()))
        if options is not None:
            attrs = widget.build_attrs(widget.attrs, attrs)
            if widget.allow_multiple_selected:
                attrs["multiple"] = True
            return mark_safe(
                f'<select name="{escape(bound.html_name)}"{attrs_html(attrs)}>{options}\n</select>'
            )
    context = widget.get_context(bound.html_name, bound.value(), attrs)["widget"]
    name, value, attrs = escape(context["name"]), context["value"], attrs_html(context["attrs"])
    if kind is forms.Textarea:
        return mark_safe(
            f'<textarea name="{name}"{attrs}>\n{escape(value) if value else ""}</textarea>'
        )
    if kind is forms.Select:
        options = []
        for group, choices, _index in context["optgroups"]:
            if group:
                options.append(f'\n  <optgroup label="{escape(group)}">')
            for option in choices:
                options.append(
                    f'\n  <option value="{escape(option["value"])}"{attrs_html(option["attrs"])}>'
                    f"{escape(option['label'])}</option>\n"
                )
            if group:
                options.append("\n  </optgroup>")
        return mark_safe(f'<select name="{name}"{attrs}>{"".join(options)}\n</select>')
    value = "" if value is None else f' value="{escape(value)}"'
    return mark_safe(f'<input type="{escape(context["type"])}" name="{name}"{value}{attrs}>')


def _help_text(bound):
    if not bound.help_text:
        return ""
    ident = f'id="{bound.auto_id}_helptext" ' if bound.auto_id else ""
    return f'<div {ident}class="form-text">{bound.help_text}</div>'


def _choices(bound):
    """crispy's bootstrap5/layout/radio_checkbox_select.html."""
    widget = bound.field.widget
    ident = widget.attrs.get("id") or bound.auto_id
    attrs = bound.build_widget_attrs({"id": ident} if ident else {})
    values = widget.format_value(bound.value())
    name = escape(bound.html_name)
    out = ["<div >"]
    for group, options, _index in _optgroups(widget, bound.html_name, values, attrs):
        if group:
            out.append(f"<strong>{escape(group)}</strong>")
        for option in options:
            out.append(
                f'<div class="form-check"><input type="{escape(option["type"])}" '
                f'class="form-check-input"  name="{name}" value="{escape(option["value"])}" '
                f"{attrs_html(option['attrs'])}>"
                f'<label for="{escape(option["attrs"].get("id", ""))}" class="form-check-label">'
                f"{escape(option['label'])}</label></div>"
            )
    out.append("</div>")
    out.append(_help_text(bound))
    return "".join(out)


def _optgroups(widget, name, values, attrs):
    """widget.optgroups() for a RadioSelect or CheckboxSelectMultiple of flat choices, with
    only what _choices writes of each option (Django's makes a dozen keys an option); grouped
    choices are left to Django's."""
    base = widget.build_attrs(widget.attrs, attrs)
    ident = base.get("id")
    groups, has_selected = [], False
    for index, (value, label) in enumerate(widget.choices):
        if isinstance(label, (list, tuple)):
            return widget.optgroups(name, values, attrs)
        if value is None:
            value = ""
        selected = (not has_selected or widget.allow_multiple_selected) and str(value) in values
        has_selected |= selected
        option_attrs = dict(base)
        if selected:
            option_attrs.update(widget.checked_attribute)
        if ident:
            option_attrs["id"] = widget.id_for_label(ident, index)
        option = {"type": widget.input_type, "value": value, "label": label, "attrs": option_attrs}
        groups.append((None, [option], index))
    return groups


def _file(bound):
    """crispy's bootstrap5/layout/field_file.html for a field with no file yet; None when
    it has one."""
    out = []
    for subwidget in bound.subwidgets:
        data = subwidget.data
        if data.get("is_initial"):
            return None
        attrs = data["attrs"]
        css = "form-control" + (f" {attrs['class']}" if attrs.get("class") else "")
        disabled = " disabled" if bound.field.disabled else ""
        rest = attrs_html({k: v for k, v in attrs.items() if k != "class"})
        out.append(
            f'<div><input type="{escape(data["type"])}" name="{escape(data["name"])}" '
            f'class="{escape(css)}"{disabled}{rest}>{_help_text(bound)}</div>'
        )
    return "".join(out)


@register.filter
def as_field(bound):
    """`bound` as crispy's `as_crispy_field` draws it (Bootstrap 5, no helper)."""
    if not _written_here(bound):
        return as_crispy_field(bound)
    if bound.field.widget.is_hidden:
        return _widget(bound)
    widget = bound.field.widget
    out = []
    css = bound.css_classes()
    out.append(f'<div id="div_{bound.auto_id}" class="mb-3{" " + css if css else ""}">')
    if bound.label:
        required = " requiredField" if bound.field.required else ""
        asterisk = '<span class="asteriskField">*</span>' if bound.field.required else ""
        if bound.use_fieldset:
            described = bound.aria_describedby
            described = f' aria-describedby="{escape(described)}"' if described else ""
            tag, fs = "legend", " fs-6"
            out.append(f"<fieldset{described}>")
        else:
            tag, fs = "label", ""
        ident = bound.id_for_label
        for_attr = f'for="{escape(ident)}" ' if ident else ""
        out.append(
            f'<{tag} {for_attr}class="form-label{required}{fs}">'
            f"{escape(bound.label)}{asterisk}</{tag}>"
        )
    if type(widget) in CHOICES:
        with choices_read_once(widget):
            out.append(_choices(bound))
    elif type(widget) in FILES:
        drawn = _file(bound)
        if drawn is None:
            return as_crispy_field(bound)
        out.append(drawn)
    else:
        _add_class(widget, "form-select" if isinstance(widget, forms.Select) else "form-control")
        out.append(_widget(bound))
        out.append(_help_text(bound))
    if bound.use_fieldset and bound.label:
        out.append("</fieldset>")
    out.append("</div>")
    return mark_safe("".join(out))  # every value in it is escaped or already safe


@register.filter
def as_fields(form):
    """`form` as crispy's `crispy` filter draws it (Bootstrap 5, no helper): its errors,
    then each field."""
    if getattr(form, "helper", None) is not None or (form.is_bound and form.errors):
        return as_crispy_form(form)
    return mark_safe("".join(as_field(bound) for bound in form))
