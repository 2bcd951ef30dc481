"""{% once %}: rendered once per language and URL configuration; variables refused (issue 11)."""

import pytest
from django.template import Context, Engine, Template, TemplateSyntaxError
from django.test import override_settings
from django.utils import translation

ENGINE = Engine(libraries={"once": "cnam_cs.templatetags.once", "i18n": "django.templatetags.i18n"})


def render(source: str, **context: object) -> str:
    return Template("{% load i18n once %}" + source, engine=ENGINE).render(Context(context))


@pytest.mark.parametrize(
    "body",
    [
        "{{ name }}",
        "{% translate name %}",
        '{% translate "Aide" as label %}',
        "{% url 'help' name %}",
        "{% if name %}x{% endif %}",
        "{% csrf_token %}",
    ],
)
def test_anything_a_request_could_change_is_refused(body):
    with pytest.raises(TemplateSyntaxError):
        render("{% once %}" + body + "{% endonce %}")


def test_the_text_follows_the_language_and_the_url_configuration():
    template = Template(
        "{% load i18n once %}{% once %}{% translate 'Aide' %} {% url 'help' %}{% endonce %}",
        engine=ENGINE,
    )
    with translation.override("fr"):
        assert template.render(Context()) == "Aide /aide/"
        assert template.render(Context()) == "Aide /aide/"
    with translation.override("en"):
        assert template.render(Context()) == "Help /aide/"
    with override_settings(ROOT_URLCONF="tests.urls_help_elsewhere"), translation.override("fr"):
        assert template.render(Context()) == "Aide /ailleurs/aide/"
