// Placeholder; the store work replaces this with the embedded PostgreSQL set-up.
export default async function setup(): Promise<void> {}
