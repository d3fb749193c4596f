import { SetMetadata } from '@nestjs/common';

export const IS_PUBLIC = 'deskmail:public';
/** Marks a route that needs no API token (health, the OAuth2 callback). Everything else does. */
export const Public = (): MethodDecorator & ClassDecorator => SetMetadata(IS_PUBLIC, true);
