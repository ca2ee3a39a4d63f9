"""Inventory: SKUs with barcodes, stock on hand and stock reserved by open orders."""
