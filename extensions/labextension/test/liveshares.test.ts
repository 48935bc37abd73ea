jest.mock('../src/api/client', () => {
  class ApiError extends Error {
    constructor(
      message: string,
      readonly status: number,
      readonly body: Record<string, unknown> = {}
    ) {
      super(message);
    }
    get field(): string {
      return typeof this.body.field === 'string' ? this.body.field : '';
    }
  }
  return {
    ApiError,
    errorText: (reason: unknown) => (reason instanceof Error ? reason.message : String(reason)),
    request: jest.fn(),
    sendJson: jest.fn()
  };
});

import * as client from '../src/api/client';
import {
  acceptLink,
  ISharedServer,
  liveShareErrorField,
  LiveSharesModel,
  serverTitle
} from '../src/models/liveshares';

const request = client.request as jest.Mock;
const sendJson = client.sendJson as jest.Mock;

function server(fields: Partial<ISharedServer> = {}): ISharedServer {
  return {
    id: 'default',
    name: '',
    kind: 'workspace',
    url: '/user/alice/',
    ready: true,
    shares: [],
    codes: [],
    ...fields
  };
}

const RUN = server({ id: 'run-1a2b', name: 'run-1a2b', kind: 'run', url: '/user/alice/run-1a2b/' });

beforeEach(() => {
  request.mockReset();
  sendJson.mockReset();
});

describe('live sharing helpers', () => {
  it('names servers, builds links on the hub the browser is on, and places errors', () => {
    expect(serverTitle(server())).toBe('Workspace');
    expect(serverTitle(RUN)).toBe('Run server run-1a2b');
    expect(acceptLink('/hub/accept-share?code=x', 'https://hub.example/')).toBe(
      'https://hub.example/hub/accept-share?code=x'
    );
    expect(acceptLink('https://other/hub/accept-share?code=x', 'https://hub.example')).toBe(
      'https://other/hub/accept-share?code=x'
    );
    const refusal = (field: string) => new client.ApiError('no', 404, { field });
    expect(liveShareErrorField(refusal('user'))).toBe('name');
    expect(liveShareErrorField(refusal('group'))).toBe('name');
    expect(liveShareErrorField(refusal('expires_in'))).toBe('expires_in');
    expect(liveShareErrorField(new Error('down'))).toBe('form');
  });
});

describe('LiveSharesModel', () => {
  it('lists the servers, shares one, and revokes, saying when it changed', async () => {
    request.mockResolvedValueOnce({ user: 'alice', servers: [server(), RUN] });
    const model = new LiveSharesModel('https://hub.example');
    let changes = 0;
    model.changed.connect(() => changes++);
    await model.refresh();
    expect(request).toHaveBeenCalledWith('shares');
    expect(model.loaded && !model.loading).toBe(true);
    expect(model.servers.map(s => s.id)).toEqual(['default', 'run-1a2b']);

    const share = { kind: 'group', name: 'lab', scopes: [], created: null };
    sendJson.mockResolvedValueOnce(share);
    const pending = model.share('run-1a2b', 'group', ' lab ');
    expect(model.isBusy('share:run-1a2b')).toBe(true);
    await pending;
    expect(sendJson).toHaveBeenCalledWith('shares/run-1a2b', 'POST', { group: 'lab' });
    expect(model.isBusy('share:run-1a2b')).toBe(false);
    expect(model.servers[1].shares).toEqual([share]);
    expect(model.servers[0].shares).toEqual([]);

    request.mockResolvedValueOnce(null);
    await model.revoke('run-1a2b', 'group', 'lab');
    expect(request).toHaveBeenLastCalledWith('shares/run-1a2b/group/lab', { method: 'DELETE' });
    expect(model.servers[1].shares).toEqual([]);
    expect(changes).toBeGreaterThanOrEqual(6);
  });

  it('keeps the link of a code it made, lists it without its secret, revokes it', async () => {
    request.mockResolvedValueOnce({ user: 'alice', servers: [server()] });
    const model = new LiveSharesModel('https://hub.example');
    await model.refresh();
    sendJson.mockResolvedValueOnce({
      id: 'sc_7',
      scopes: ['access:servers!server=alice/'],
      created: null,
      expires_at: '2030-01-01T00:00:00Z',
      exchange_count: 0,
      code: 'secret',
      accept_url: '/hub/accept-share?code=secret'
    });
    const made = await model.createCode('default', 3600);
    expect(sendJson).toHaveBeenCalledWith('shares/default/codes', 'POST', { expires_in: 3600 });
    expect(made.link).toBe('https://hub.example/hub/accept-share?code=secret');
    expect(model.linkOf('sc_7')).toBe(made.link);
    expect(model.servers[0].codes).toHaveLength(1);
    expect(model.servers[0].codes[0]).not.toHaveProperty('code');

    request.mockResolvedValueOnce(null);
    await model.revokeCode('default', 'sc_7');
    expect(request).toHaveBeenLastCalledWith('shares/default/codes/sc_7', { method: 'DELETE' });
    expect(model.servers[0].codes).toEqual([]);
    expect(model.linkOf('sc_7')).toBeNull();
  });

  it('passes a refusal on and changes nothing; a failed listing is its error', async () => {
    request.mockResolvedValueOnce({ user: 'alice', servers: [server()] });
    const model = new LiveSharesModel('https://hub.example');
    await model.refresh();
    const refusal = new client.ApiError("there is no user 'zed'", 404, { field: 'user' });
    sendJson.mockRejectedValueOnce(refusal);
    await expect(model.share('default', 'user', 'zed')).rejects.toThrow('zed');
    expect(model.servers[0].shares).toEqual([]);
    expect(model.isBusy('share:default')).toBe(false);

    request.mockRejectedValueOnce(new Error('the hub is not reachable'));
    await model.refresh();
    expect(model.error).toBe('the hub is not reachable');
    expect(model.servers).toHaveLength(1); // what was listed stays
  });

  it('lets a change made while a listing was on its way stand', async () => {
    let answer: (value: unknown) => void = () => undefined;
    const model = new LiveSharesModel('https://hub.example');
    request.mockResolvedValueOnce({ user: 'alice', servers: [server()] });
    await model.refresh(); // a first listing, so the change has a server to land on
    request.mockReturnValueOnce(new Promise(resolve => (answer = resolve)));
    const slow = model.refresh();
    sendJson.mockResolvedValueOnce({ kind: 'user', name: 'bob', scopes: [], created: null });
    await model.share('default', 'user', 'bob');
    answer({ user: 'alice', servers: [server()] });
    await slow;
    expect(model.servers[0].shares.map(s => s.name)).toEqual(['bob']);
  });
});
