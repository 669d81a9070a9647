"""The messages of the installed packages that users see, for the project's catalogue.

django-filter ships no Simplified Chinese catalogue for `zh-hans` (its `zh_CN` one is not
looked up under that name) and django-axes none at all, so their strings showed in English
inside the Chinese interface; django-simple-history's and django-celery-beat's catalogues
lack a few of their newer strings (shown in the administration pages). Each msgid below is
copied exactly from the package's source (django-filter 26.2, django-axes 8.3.1,
django-simple-history 3.13.0, django-celery-beat 2.9.0) and marked with `gettext_noop`
(`ngettext_lazy`, never evaluated, for a plural), so `makemessages`
puts it in `locale/zh_Hans/LC_MESSAGES/django.po`; the project's catalogue (LOCALE_PATHS)
takes precedence over the apps' own, so its translation is the one shown. This module is
never imported for its values. After upgrading one of them, compare its msgids again.
"""

from django.utils.translation import gettext_noop, ngettext_lazy

DJANGO_FILTER = [
    # django_filters/filters.py: the sort menus and the label of an ordering filter.
    gettext_noop("%s (descending)"),
    gettext_noop("Ordering"),
    gettext_noop("Multiple values may be separated by commas."),
    gettext_noop("Today"),
    gettext_noop("Yesterday"),
    gettext_noop("Past 7 days"),
    gettext_noop("This month"),
    gettext_noop("This year"),
    # django_filters/fields.py: validation errors.
    gettext_noop("Select a lookup."),
    gettext_noop("Range query expects two values."),
    # django_filters/widgets.py: the "all" link and the yes / no / unknown select.
    gettext_noop("All"),
    gettext_noop("Unknown"),
    gettext_noop("Yes"),
    gettext_noop("No"),
    # django_filters/utils.py and conf.py: the labels it makes up for undeclared filters.
    gettext_noop("exclude"),
    gettext_noop("date"),
    gettext_noop("year"),
    gettext_noop("month"),
    gettext_noop("day"),
    gettext_noop("week day"),
    gettext_noop("hour"),
    gettext_noop("minute"),
    gettext_noop("second"),
    gettext_noop("contains"),
    gettext_noop("is in"),
    gettext_noop("is greater than"),
    gettext_noop("is greater than or equal to"),
    gettext_noop("is less than"),
    gettext_noop("is less than or equal to"),
    gettext_noop("starts with"),
    gettext_noop("ends with"),
    gettext_noop("is in range"),
    gettext_noop("is null"),
    gettext_noop("matches regex"),
    gettext_noop("search"),
    gettext_noop("is contained by"),
    gettext_noop("overlaps"),
    gettext_noop("has key"),
    gettext_noop("has keys"),
    gettext_noop("has any keys"),
]

DJANGO_AXES = [
    # axes/conf.py: the lockout messages (AXES_COOLOFF_MESSAGE, AXES_PERMALOCK_MESSAGE), given
    # to the login form as its error when a locked account tries again.
    gettext_noop("Account locked: too many login attempts. Please try again later."),
    gettext_noop(
        "Account locked: too many login attempts. Contact an admin to unlock your account."
    ),
    # axes/models.py: the administration pages of access attempts, failures and logs.
    gettext_noop("access attempt"),
    gettext_noop("access attempts"),
    gettext_noop("Access Attempt"),
    gettext_noop("access attempt expiration"),
    gettext_noop("access attempt expirations"),
    gettext_noop("access failure"),
    gettext_noop("access failures"),
    gettext_noop("access log"),
    gettext_noop("access logs"),
    gettext_noop("User Agent"),
    gettext_noop("IP Address"),
    gettext_noop("Username"),
    gettext_noop("HTTP Accept"),
    gettext_noop("Path"),
    gettext_noop("Attempt Time"),
    gettext_noop("Access lock out"),
    gettext_noop("GET Data"),
    gettext_noop("POST Data"),
    gettext_noop("Failed Logins"),
    gettext_noop("Expires At"),
    gettext_noop("The time when access attempt expires and is no longer valid."),
    gettext_noop("Logout Time"),
    gettext_noop("Session key hash (sha256)"),
    # axes/admin.py: filters, sections, actions and states in its administration pages.
    gettext_noop("Locked Out"),
    gettext_noop("Attempt Remaining"),
    gettext_noop("Form Data"),
    gettext_noop("Meta Data"),
    gettext_noop("Clean up expired attempts"),
    gettext_noop("Not set"),
]

SIMPLE_HISTORY = [
    # simple_history/templates/simple_history/object_history_form.html (blocktrans).
    gettext_noop("View %(verbose_name)s"),
    gettext_noop("Revert %(verbose_name)s"),
    # simple_history/templates/simple_history/object_history_list.html (blocktranslate count).
    ngettext_lazy("entry", "entries", 1),
    # simple_history/models.py: a deleted record in a history list.
    gettext_noop("Deleted %(type_name)s"),
]

DJANGO_ADMIN = [
    # django/contrib/admin/templates/admin/app_list.html: the headers of the index's tables,
    # newer than Django 5.2's Simplified Chinese catalogue.
    gettext_noop("Model name"),
    gettext_noop("Add link"),
    gettext_noop("Change or view list link"),
]

DJANGO_CELERY_BEAT = [
    # django_celery_beat/admin.py: sections of the periodic task form.
    gettext_noop("Schedule"),
    gettext_noop("Arguments"),
    gettext_noop("Execution Options"),
    gettext_noop("Periodic Tasks Using This Schedule"),
    # django_celery_beat/models.py: help texts of a crontab.
    gettext_noop('Cron Months (1-12) Of The Year to Run. Use "*" for "all". (Example: "1,12")'),
    gettext_noop(
        'Cron Days Of The Week to Run. Use "*" for "all", Sunday is 0 or 7, Monday is 1. '
        '(Example: "0,5")'
    ),
]
