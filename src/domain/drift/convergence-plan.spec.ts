import type { ResourceState } from '../inventory/resource.js';
import { convergencePlan } from './convergence-plan.js';

const live: ResourceState = {
  provider: 'digitalocean',
  kind: 'droplet',
  providerId: '41',
  name: 'web-1',
  region: 'nyc3',
  size_slug: 's-1vcpu-1gb',
  status: 'active',
  tags: ['managed-by-cloudledger', 'web'],
  attrs: { image: 'ubuntu-24-04-x64', backups: false },
};

describe('convergence plan', () => {
  it('is converged when the spec agrees with the droplet, and then applies nothing', () => {
    expect(convergencePlan({ size_slug: 's-1vcpu-1gb', region: 'nyc3', image: 'ubuntu-24-04-x64', tags: ['web'] }, live)).toEqual({
      converged: true,
      changes: [],
      applicable: [],
    });
  });

  it('resizes for a size, retags for tags, and says region and image need a new droplet', () => {
    // given a spec that differs from the droplet in every field it knows
    const spec = { region: 'sfo3', tags: ['web', 'pool-a'], image: 'debian-12-x64', size_slug: 's-2vcpu-4gb' };

    // when planned
    const plan = convergencePlan(spec, live);

    // then each difference has its action, in the spec's order, and an apply does the size first, then the tags
    expect(plan.converged).toBe(false);
    expect(plan.changes).toEqual([
      { field: 'region', desired: 'sfo3', live: 'nyc3', action: 'replace_required' },
      { field: 'tags', desired: ['web', 'pool-a'], live: ['web'], action: 'retag' },
      { field: 'image', desired: 'debian-12-x64', live: 'ubuntu-24-04-x64', action: 'replace_required' },
      { field: 'size_slug', desired: 's-2vcpu-4gb', live: 's-1vcpu-1gb', action: 'resize' },
    ]);
    expect(plan.applicable).toEqual(['size_slug', 'tags']);
  });

  it('cannot converge a field no saga changes: it can only be accepted', () => {
    const plan = convergencePlan({ backups: true }, live);
    expect(plan).toEqual({ converged: false, changes: [{ field: 'backups', desired: true, live: false, action: 'not_convergible' }], applicable: [] });
  });
});
