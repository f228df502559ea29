"""The pages' language: Vietnamese unless the official chose English with the header's switch (the language cookie
that Django's set_language view writes). A browser's Accept-Language is not followed on the pages — officials often
run an English browser and the workspace is Vietnamese first; the API keeps Django's negotiation."""
from django.conf import settings
from django.middleware.locale import LocaleMiddleware
from django.utils import translation


class LanguageMiddleware(LocaleMiddleware):
    negotiated_prefixes = ("/api/",)

    def process_request(self, request):
        if request.path_info.startswith(self.negotiated_prefixes):
            return super().process_request(request)
        language = request.COOKIES.get(settings.LANGUAGE_COOKIE_NAME)
        if language not in dict(settings.LANGUAGES):
            language = settings.LANGUAGE_CODE
        translation.activate(language)
        request.LANGUAGE_CODE = translation.get_language()
