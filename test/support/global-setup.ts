/** Placeholder until the stack-backed setup lands: uses the endpoints given in the environment. */
export default async function globalSetup(): Promise<void> {}
