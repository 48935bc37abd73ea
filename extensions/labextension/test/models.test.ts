import { PickList } from '../src/models/picks';
import { DEFAULT_SETTINGS, SettingsModel } from '../src/models/settings';

describe('PickList', () => {
  it('holds each asset once and says when it changed', () => {
    const picks = new PickList();
    let changes = 0;
    picks.changed.connect(() => changes++);
    picks.add({ ref: 'mine/models/m', title: 'M' });
    picks.add({ ref: 'mine/models/m', title: 'M' });
    expect(picks.items).toHaveLength(1);
    picks.remove('mine/models/m');
    picks.clear();
    expect(changes).toBe(2);
  });
});

describe('SettingsModel', () => {
  it('refuses a poll interval too short to be kind to the server', () => {
    const settings = new SettingsModel();
    expect(settings.values).toEqual(DEFAULT_SETTINGS);
    settings.update({ pollInterval: 10 });
    expect(settings.values.pollInterval).toBe(250);
    settings.update({ defaultProfile: 'large' });
    expect(settings.values).toEqual({ pollInterval: 250, defaultProfile: 'large' });
  });
});
