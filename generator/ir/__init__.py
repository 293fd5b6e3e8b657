"""The generator's intermediate representation: types (``types``), and the nodes analysis builds."""
