"""arazzo-codegen: compile Arazzo workflows and their OpenAPI sources to typed Python clients."""

__version__ = "0.1.0"
