from django.utils import translation


class UserLanguageMiddleware:
    """Serve a signed-in user in the language they chose, on any device. A user who never
    chose keeps the language their browser asked for at first login (LocaleMiddleware's pick
    from the cookie or Accept-Language, else the site default): notifications and emails are
    written in it, including those a worker makes."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        user = getattr(request, "user", None)
        if user is not None and user.is_authenticated and not user.language:
            user.language = request.LANGUAGE_CODE
            user._meta.model.objects.filter(pk=user.pk, language="").update(language=user.language)
        language = getattr(user, "language", "")
        if language and language != request.LANGUAGE_CODE:
            translation.activate(language)
            request.LANGUAGE_CODE = language
        return self.get_response(request)
