"""Which schemas become classes in models.py is known before datamodel-code-generator
runs (model_set.predict_classes), so analysis does not wait for models.py; the rendered
module agrees, kind of schema by kind of schema."""

from __future__ import annotations

import re

from arazzo_codegen.diagnostics import Report
from arazzo_codegen.emit_models import render_models
from arazzo_codegen.model_set import ModelSet, predict_classes


def ref(name: str) -> dict[str, str]:
    return {"$ref": f"#/components/schemas/{name}"}


SCHEMAS = {
    "Pet": {
        "type": "object",
        "properties": {
            "id": {"type": "string"},
            "kind": ref("Kind"),
            "tags": ref("Tags"),
            "phone": ref("Phone"),
            "loc": {"type": "array", "items": ref("LocItem")},
            "owner": ref("Owner"),
        },
    },
    "Owner": {"properties": {"name": {"type": "string"}}},  # no type, but properties: a class
    "Dog": {"allOf": [ref("Pet"), {"properties": {"bark": {"type": "boolean"}}}]},
    "Kind": {"type": "string", "enum": ["cat", "dog"]},  # referenced enum: folded
    "Status": {"type": "string", "enum": ["on", "off"]},  # unreferenced enum: a root model
    "Tags": {"type": "array", "items": {"type": "string"}},  # referenced list: folded
    "Pets": {"type": "array", "items": ref("Pet")},  # unreferenced list: a root model
    "Phone": {"type": "string", "pattern": "^[+][0-9]+$"},  # referenced constrained string: folded
    "LocItem": {"oneOf": [{"type": "string"}, {"type": "integer"}]},  # referenced union: folded
    "PetOrDog": {"oneOf": [ref("Pet"), ref("Dog")]},  # unreferenced union: a root model
}


def test_predicted_classes_are_the_rendered_ones() -> None:
    models = ModelSet(schemas=dict(SCHEMAS))
    predicted = predict_classes(models)
    assert predicted == {"Pet", "Owner", "Dog", "Status", "Pets", "PetOrDog"}
    models.defined = predicted
    report = Report()
    source = render_models(models, report, "test")
    assert not report.items, [d.render() for d in report.items]
    assert set(re.findall(r"^class (\w+)\(", source, re.MULTILINE)) & set(SCHEMAS) == predicted


def test_a_class_the_generator_does_not_make_is_an_error() -> None:
    models = ModelSet(
        schemas={"Kind": {"type": "string", "enum": ["a", "b"]}, "Pet": {"properties": {"k": ref("Kind")}}}
    )
    models.defined = {"Pet", "Kind"}  # as if Kind were predicted a class
    report = Report()
    render_models(models, report, "test")
    assert [d.message for d in report.items] == [
        "datamodel-code-generator made no class of schema 'Kind', which the generated code refers to"
    ]
