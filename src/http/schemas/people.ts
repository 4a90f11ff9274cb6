import { Type } from '@sinclair/typebox';
import { PERSON_ROLES } from '../../domain/vocabulary.js';
import { type Body, literals, Nullable, Obj } from './common.js';

export const PersonSchema = Obj(
  {
    id: Type.String(),
    email: Type.String(),
    role: literals(PERSON_ROLES),
    user: Nullable(Type.String({ description: 'For members: the user id of their events.' })),
    totpEnabled: Type.Boolean(),
  },
  { title: 'Person' },
);
export type Person = Body<typeof PersonSchema>;

export const PeopleSchema = Obj({ people: Type.Array(PersonSchema) }, { title: 'People' });
export const CreatedPersonSchema = Obj(
  { person: PersonSchema, password: Type.Optional(Type.String({ description: 'The generated password, shown this once.' })) },
  { title: 'CreatedPerson' },
);

/** The signed-in person and the CSRF token for state-changing requests. */
export const SessionSchema = Obj({ person: PersonSchema, csrfToken: Type.String() }, { title: 'Session' });
export type Session = Body<typeof SessionSchema>;

export const TotpEnrolmentSchema = Obj(
  { secret: Type.String(), otpauthUrl: Type.String(), qrDataUrl: Type.String({ description: 'A data: URL of the QR code.' }) },
  { title: 'TotpEnrolment' },
);
export type TotpEnrolment = Body<typeof TotpEnrolmentSchema>;
export const TotpStateSchema = Obj({ totpEnabled: Type.Boolean() }, { title: 'TotpState' });

/** How one can sign in to the dashboard. */
export const SignInOptionsSchema = Obj(
  {
    password: Type.Literal(true),
    sso: Nullable(Obj({ label: Type.String(), url: Type.String({ description: 'Where the browser goes to start single sign-on.' }) })),
  },
  { title: 'SignInOptions' },
);
export type SignInOptions = Body<typeof SignInOptionsSchema>;

/** A redirect (302): no body, a Location header. */
export const RedirectSchema = Type.Unsafe<undefined>({ type: 'null', description: 'A redirect; see the Location header.' });

/** No body (204). */
export const NoContentSchema = Type.Unsafe<undefined>({ type: 'null', description: 'No content.' });
