"""Model class names never shadow what models.py itself defines or imports."""

from arazzo_codegen.schemas import class_name


def test_a_schema_named_model_does_not_shadow_the_base_class() -> None:
    assert class_name("Model") == "ModelModel"


def test_ordinary_names_are_kept() -> None:
    assert class_name("CreateAssistantDTO") == "CreateAssistantDTO"
    assert class_name("call completed event") == "CallCompletedEvent"
