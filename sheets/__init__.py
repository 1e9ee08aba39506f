"""The tracker spreadsheet a council keeps in Excel: files in and out, and the check of every
row before anything is imported. The plan sees only checked rows (``plan.importing.SheetRow``)."""
