"""The "Update profiles" wizard: one QWizardPage class per page."""
