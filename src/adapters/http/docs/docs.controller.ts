import { Controller, Get, Header, Inject } from '@nestjs/common';
import { DiscoveryService, Reflector } from '@nestjs/core';
import { z } from 'zod';
import { ApiRoute } from '../api-route.decorator.js';
import { buildOpenApiDocument, discoverRoutes } from '../openapi.js';

export const APP_VERSION = Symbol('AppVersion');

const SWAGGER_HTML = `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>cloudledger API</title>
<link rel="stylesheet" href="/docs/assets/swagger-ui.css"></head>
<body><div id="ui"></div>
<script src="/docs/assets/swagger-ui-bundle.js"></script>
<script>window.ui = SwaggerUIBundle({ url: '/docs/openapi.json', dom_id: '#ui', persistAuthorization: true });</script>
</body></html>`;

@Controller('docs')
export class DocsController {
  private document: Record<string, unknown> | undefined;

  constructor(
    @Inject(DiscoveryService) private readonly discovery: DiscoveryService,
    @Inject(Reflector) private readonly reflector: Reflector,
    @Inject(APP_VERSION) private readonly version: string,
  ) {}

  @Get()
  @Header('content-type', 'text/html; charset=utf-8')
  @ApiRoute({ summary: 'API documentation (Swagger UI)', role: 'public', tags: ['operations'], responses: { 200: { description: 'the UI' } } })
  ui(): string {
    return SWAGGER_HTML;
  }

  @Get('openapi.json')
  @ApiRoute({
    summary: 'The OpenAPI 3.1 document, generated from the request schemas',
    role: 'public',
    tags: ['operations'],
    responses: { 200: { description: 'OpenAPI document', schema: z.object({ openapi: z.string() }).loose() } },
  })
  openapi(): Record<string, unknown> {
    this.document ??= buildOpenApiDocument(discoverRoutes(this.discovery, this.reflector), this.version);
    return this.document;
  }
}
