"""Who else may use an asset: grants, publishing to common, and the audit log.

Unlike the index, these tables are not derived from the files: they live in the same
database but are never dropped by a rebuild or a schema change of the index.
"""
