"""Who is who: the roster CSV import and the Microsoft Graph (School Data Sync) roster sync."""
