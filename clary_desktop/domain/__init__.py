"""What every layer shares: tiers and access, safe names, version order, the on-disk
layout of models, signing primitives, and the value types returned to the fronts.

Plain Python with no database and no service behind it; everything above may import it.
"""
