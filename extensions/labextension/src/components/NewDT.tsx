import type { Asset } from '../api/types';
import { PickList } from '../models/picks';

/** Ask for a new digital twin; resolves with it once created, or null if cancelled. */
export async function newDigitalTwin(picks: PickList): Promise<Asset | null> {
  void picks;
  return null;
}
