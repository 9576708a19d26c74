-- AlterTable
ALTER TABLE "listings" ADD COLUMN     "reserved" INTEGER NOT NULL DEFAULT 0;

-- Copies already held by reservations awaiting payment (the lines' quantities per listing).
UPDATE "listings" l SET "reserved" = held.quantity
FROM (
  SELECT (line->>'listingId')::uuid AS id, sum((line->>'quantity')::int) AS quantity
  FROM "stock_reservations" r, jsonb_array_elements(r."lines") AS line
  WHERE r."status" = 'RESERVED'
  GROUP BY 1
) AS held
WHERE l."id" = held.id;

ALTER TABLE "listings" ADD CONSTRAINT "listings_reserved_not_negative" CHECK ("reserved" >= 0);
