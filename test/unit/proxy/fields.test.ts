// Request bodies read as the engine reads them: Go matches keys case-insensitively (src/proxy/
// fields.ts, and the JSON body parser of src/proxy/index.ts).
import { describe, expect, it } from 'vitest';
import { canonicalFieldName } from '../../../src/proxy/fields';
import { parseJsonBody } from '../../../src/proxy/index';
import { Refusal } from '../../../src/proxy/policy';
import { policeContainerCreate } from '../../../src/proxy/policy-containers';
import { policeVolumeCreate } from '../../../src/proxy/policy-volumes';
import { type EngineObjects, policyContext, refusal } from '../../support/policy-context';

describe('request bodies as the engine reads them (Go matches keys case-insensitively)', () => {
  it.each([
    ['lower case', '{"image":"busybox","hostconfig":{"privileged":true}}'],
    ['upper case', '{"IMAGE":"busybox","HOSTCONFIG":{"PRIVILEGED":true}}'],
    ['a long s (U+017F) for s', '{"Image":"busybox","Ho\u017ftConfig":{"Privileged":true}}'],
    ['an escaped long s', '{"Image":"busybox","Ho\\u017ftConfig":{"Privileged":true}}'],
  ])('brings %s to the canonical names, so the policy sees privileged', async (_title, text) => {
    const body = parseJsonBody(text);
    expect(body).toEqual({ Image: 'busybox', HostConfig: { Privileged: true } });
    expect((await refusal(policeContainerCreate(body, 'web', policyContext().context))).message).toMatch(
      /privileged containers are not allowed/,
    );
  });

  it('knows every field the policy reads, in any spelling', () => {
    const policed = [
      ...['Image', 'Labels', 'HostConfig', 'NetworkingConfig', 'EndpointsConfig', 'ExposedPorts', 'Volumes'],
      ...['Privileged', 'NetworkMode', 'PidMode', 'IpcMode', 'UTSMode', 'UsernsMode', 'CgroupnsMode'],
      ...['Devices', 'DeviceRequests', 'DeviceCgroupRules', 'CgroupParent', 'Binds', 'Mounts', 'Tmpfs'],
      ...['CapAdd', 'CapDrop', 'SecurityOpt', 'Sysctls', 'Ulimits', 'OomScoreAdj', 'Runtime', 'VolumeDriver'],
      ...['VolumesFrom', 'Links', 'MaskedPaths', 'ReadonlyPaths', 'PortBindings', 'PublishAllPorts'],
      ...[
        'PidsLimit',
        'Memory',
        'MemorySwap',
        'NanoCpus',
        'CpuQuota',
        'CpuPeriod',
        'OomKillDisable',
        'LogConfig',
      ],
      ...[
        'Type',
        'Source',
        'Target',
        'VolumeOptions',
        'DriverConfig',
        'Options',
        'Name',
        'Driver',
        'DriverOpts',
      ],
      ...[
        'ConfigFrom',
        'Ingress',
        'Scope',
        'Container',
        'EndpointConfig',
        'Aliases',
        'Detach',
        'HostIp',
        'HostPort',
      ],
    ];
    for (const field of policed) {
      expect(canonicalFieldName(field)).toBe(field);
      expect(canonicalFieldName(field.toLowerCase())).toBe(field);
      expect(canonicalFieldName(field.toUpperCase().replace(/S/g, '\u017f').replace(/K/g, '\u212a'))).toBe(
        field,
      );
    }
  });

  it('reads the Kelvin sign (U+212A) as a k, as Go does', () => {
    expect(canonicalFieldName('\u212aernelMemory')).toBe('KernelMemory');
    expect(canonicalFieldName('\u212Aernelmemory')).toBe('KernelMemory');
    // Other letters that only look alike are other keys to Go as well.
    expect(canonicalFieldName('\u0130mage')).toBeUndefined();
  });

  it('polices binds, volume driver options and the image spelled in other cases', async () => {
    const binds = parseJsonBody('{"Image":"busybox","hostConfig":{"binds":["/:/host"]}}');
    expect((await refusal(policeContainerCreate(binds, 'web', policyContext().context))).message).toMatch(
      /"\/" is not allowed/,
    );
    const volume = parseJsonBody(
      '{"name":"v","driverOpts":{"type":"none","o":"bind","device":"/etc"},"labels":{"Privileged":"x"}}',
    );
    expect(volume.Labels).toEqual({ Privileged: 'x' });
    expect((await refusal(() => policeVolumeCreate(volume, policyContext().context))).message).toMatch(
      /host path/,
    );
    const image = parseJsonBody('{"image":"theirs:1"}');
    const engine: EngineObjects = { images: { 'theirs:1': { kind: 'foreign' } } };
    expect(
      (await refusal(policeContainerCreate(image, 'web', policyContext(engine).context))).message,
    ).toMatch(/No such image: theirs:1/);
  });

  it('refuses two spellings of one field in one object, whichever would win', () => {
    for (const text of [
      '{"HostConfig":{"Privileged":false,"privileged":true}}',
      '{"HostConfig":{"privileged":true,"Privileged":false}}',
      '{"HostConfig":{},"hostconfig":{"Privileged":true}}',
    ]) {
      const error = (() => {
        try {
          parseJsonBody(text);
        } catch (caught) {
          return caught;
        }
        return undefined;
      })();
      expect(error).toBeInstanceOf(Refusal);
      expect((error as Refusal).status).toBe(400);
      expect((error as Refusal).message).toMatch(
        /names the field (HostConfig\.)?(Privileged|HostConfig) twice/,
      );
    }
  });

  it('names where the second spelling is, inside lists too', () => {
    expect(() =>
      parseJsonBody('{"HostConfig":{"Mounts":[{"Type":"bind"},{"Type":"volume","type":"bind"}]}}'),
    ).toThrow('names the field HostConfig.Mounts[1].Type twice (as "Type" and "type")');
  });

  it('refuses exact duplicates, at any depth: the policy must not guess which one the engine keeps', () => {
    expect(() =>
      parseJsonBody('{"Image":"busybox","HostConfig":{"Privileged":false},"HostConfig":{"Privileged":true}}'),
    ).toThrow('names the key "HostConfig" twice');
    expect(() => parseJsonBody('{"HostConfig":{"Binds":["/a:/a"],"Binds":["/:/host"]}}')).toThrow(
      'names the key "Binds" twice',
    );
    // The same key in two objects of a list, or as a value, is no duplicate.
    expect(
      parseJsonBody('{"Env":["Env"],"HostConfig":{"Mounts":[{"Type":"bind"},{"Type":"volume"}]}}'),
    ).toEqual({
      Env: ['Env'],
      HostConfig: { Mounts: [{ Type: 'bind' }, { Type: 'volume' }] },
    });
  });

  it('leaves the keys of maps that are the student’s data alone, and reads their values as structs', () => {
    // One body, its struct keys spelled by `key`; the maps' keys (labels, paths, ports, network
    // names) are the student's data, spelled as they are in either.
    const spelled = (key: (canonical: string) => string) => ({
      [key('Labels')]: { privileged: 'yes', Image: 'x' },
      [key('HostConfig')]: {
        [key('Sysctls')]: { 'net.core.somaxconn': '1024' },
        [key('Tmpfs')]: { '/Run': 'rw' },
        [key('PortBindings')]: { '80/tcp': [{ [key('HostIp')]: '0.0.0.0', [key('HostPort')]: '80' }] },
        [key('LogConfig')]: { [key('Type')]: 'json-file', [key('Config')]: { 'max-size': '1g' } },
      },
      [key('NetworkingConfig')]: { [key('EndpointsConfig')]: { Backend: { [key('Aliases')]: ['db'] } } },
      [key('ExposedPorts')]: { '80/tcp': {} },
      [key('Volumes')]: { '/Data': {} },
      [key('Env')]: ['privileged=true'],
    });
    const lowerCase = spelled((canonical) => canonical.toLowerCase());
    expect(lowerCase).toHaveProperty(['hostconfig', 'portbindings', '80/tcp', 0, 'hostport'], '80');
    expect(parseJsonBody(JSON.stringify(lowerCase))).toEqual(spelled((canonical) => canonical));
  });

  it('keeps a "__proto__" key as data, and refuses bodies nested absurdly deep', () => {
    const body = parseJsonBody('{"Labels":{"__proto__":"x"},"__proto__":{"Privileged":true}}');
    expect(Object.getPrototypeOf(body)).toBe(Object.prototype);
    expect(Object.keys(body)).toEqual(['Labels', '__proto__']);
    expect(() => parseJsonBody(`{"Cmd":${'['.repeat(100)}${']'.repeat(100)}}`)).toThrow(/nested deeper/);
  });
});
