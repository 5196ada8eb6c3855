// Changes to how the account signs in (and new API keys) need a recent sign-in: the server
// answers 403 with `insufficient_user_authentication` otherwise. `withFreshSignIn` asks the
// user to confirm it is them, then tries the change once more.
import { ApiError } from '../api/client';
import { NfReauthDialog, ReauthCancelled } from '../components/nf-reauth-dialog';

export { ReauthCancelled };

/** Run `action`; when it needs a fresh sign-in, confirm and run it again. Rejects with
 * `ReauthCancelled` when the user declines (catch it and leave things as they were). */
export async function withFreshSignIn<T>(action: () => Promise<T>): Promise<T> {
  try {
    return await action();
  } catch (error) {
    if (!(error instanceof ApiError && error.freshSignInRequired)) throw error;
  }
  const dialog = new NfReauthDialog();
  document.body.append(dialog);
  try {
    if (!(await dialog.ask())) throw new ReauthCancelled();
  } finally {
    dialog.remove();
  }
  return action();
}
