"""What a case says: the parameter registry, units, distributions, the case-file schema and its
checks, the validated :class:`~tecmodel.inputs.case.Case`, and the parameter dataset the model reads."""
