// Migration 027: frozen once released; a change to the schema is a new numbered file.
// Each conversation is held by the browser that started it: a secret token it keeps, stored here hashed, needed
// to read the conversation or post to it. Conversations from before this migration get one on their next
// visitor message.
export default [`ALTER TABLE conversations ADD COLUMN token_hash TEXT`];
