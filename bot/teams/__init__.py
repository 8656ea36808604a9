"""The seam to Microsoft Teams: the only package that imports the Bot Framework SDK (botbuilder)."""
