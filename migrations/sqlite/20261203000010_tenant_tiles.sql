-- A collective's own map tiles (issue 12): URL template and attribution, both or neither.
ALTER TABLE tenants ADD COLUMN map_tile_url TEXT;
ALTER TABLE tenants ADD COLUMN map_tile_attribution TEXT;
