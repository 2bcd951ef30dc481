"""``{% once %}…{% endonce %}``: markup rendered once per language and URL configuration.

Every page renders base.html: its head, brand, menu button, footer links and address are some
thirty ``{% translate %}``, ``{% url %}`` and ``{% static %}`` nodes that give the same text on
every request in a given language. ``{% once %}`` renders its content the first time and then
serves the stored text (issue 11: the student grades page).

Only what the language and the URL configuration decide may go inside: text, ``{% translate
"…" %}`` of a literal, ``{% url 'name' %}`` with literal arguments, ``{% static '…' %}`` of a
literal path. Anything else (a variable, a ``{% csrf_token %}``, a tag that assigns with
``as``) is refused when the template is compiled, so a request's data can never be served to
another request. The stored texts are dropped when a setting changes (tests).
"""

from typing import Any

from django import template
from django.conf import settings
from django.core.signals import setting_changed
from django.template.base import Node, NodeList, Parser, TextNode, Token
from django.template.defaulttags import URLNode
from django.templatetags.i18n import TranslateNode
from django.templatetags.static import StaticNode
from django.urls import get_script_prefix, get_urlconf
from django.utils.safestring import SafeString
from django.utils.translation import get_language

register = template.Library()

# Bumped when a setting changes: every stored text is then rendered again.
_generation = 0


def _literal(expression: Any) -> bool:
    """A filter expression that is a constant: no variable, no filter."""
    if expression.filters:
        return False
    var = expression.var
    return not isinstance(var, template.Variable) or var.literal is not None


def _constant(node: Node) -> bool:
    if isinstance(node, TextNode):
        return True
    if isinstance(node, TranslateNode):
        return (
            node.asvar is None and node.message_context is None and _literal(node.filter_expression)
        )
    if isinstance(node, URLNode):
        expressions = [node.view_name, *node.args, *node.kwargs.values()]
        return node.asvar is None and all(_literal(e) for e in expressions)
    if isinstance(node, StaticNode):
        return node.varname is None and _literal(node.path)
    return False


def _check(node: Node) -> None:
    if _constant(node):
        return
    raise template.TemplateSyntaxError(
        f"{{% once %}} holds only text, translate, url and static of literals, not {node!r}"
    )


class OnceNode(Node):
    def __init__(self, nodelist: NodeList) -> None:
        self.nodelist = nodelist
        self.rendered: dict[tuple[object, ...], SafeString] = {}

    def render(self, context: template.Context) -> SafeString:
        key = (
            _generation,
            get_language(),
            get_script_prefix(),
            get_urlconf(),
            settings.ROOT_URLCONF,
        )
        text = self.rendered.get(key)
        if text is None:
            if len(self.rendered) > 64:  # many settings changes (tests)
                self.rendered.clear()
            with context.push():
                text = self.rendered[key] = self.nodelist.render(context)
        return text


@register.tag
def once(parser: Parser, token: Token) -> OnceNode:
    if len(token.split_contents()) != 1:
        raise template.TemplateSyntaxError("{% once %} takes no argument")
    nodelist = parser.parse(("endonce",))
    parser.delete_first_token()
    for node in nodelist:
        _check(node)
    return OnceNode(nodelist)


def _forget(**_kwargs: object) -> None:
    global _generation
    _generation += 1


setting_changed.connect(_forget, dispatch_uid="cnam_cs.templatetags.once")
