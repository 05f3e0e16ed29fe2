/** pgrelay speaks pgpool-II 4.3.5's language; scripts that parse the version see that. */
export const PGPOOL_VERSION = '4.3.5';
export const PGPOOL_CODENAME = 'tamahomeboshi';
export const PGRELAY_VERSION = '0.1.0';
export const versionLine = (): string => `pgpool-II version ${PGPOOL_VERSION} (${PGPOOL_CODENAME}) [pgrelay ${PGRELAY_VERSION}]`;
