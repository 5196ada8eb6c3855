// The access token lives here, in memory only: never in storage a script could read later.

let accessToken: string | null = null;
let refresher: (() => Promise<boolean>) | null = null;

export const getAccessToken = () => accessToken;
export function setAccessToken(token: string | null) {
  accessToken = token;
}

/** The session registers how to get a fresh token; the API client calls it once on a 401. */
export function setRefresher(refresh: () => Promise<boolean>) {
  refresher = refresh;
}
export const refreshAccessToken = () => (refresher ? refresher() : Promise.resolve(false));
