// Migration 006: frozen once released; a change to the schema is a new numbered file.
// Billing (issue 5): the attribution touch columns of profiles stored before them, from their state.
// Revenue and payment columns fill in at each profile's next event.
export default [
  `UPDATE profiles SET first_campaign = json_extract(first_touch, '$.campaign'),
       lead_at = json_extract(state, '$.lead.at'),
       lead_channel = CASE WHEN json_extract(state, '$.lead.at') IS NOT NULL
         THEN COALESCE(json_extract(state, '$.leadTouch.channel'), 'Direct') END,
       lead_campaign = json_extract(state, '$.leadTouch.touch.campaign'),
       last_touch_at = json_extract(state, '$.lastTouch.at'),
       last_channel = json_extract(state, '$.lastTouch.channel'),
       last_campaign = json_extract(state, '$.lastTouch.touch.campaign')
     WHERE state IS NOT NULL AND lead_at IS NULL AND last_touch_at IS NULL`,
];
