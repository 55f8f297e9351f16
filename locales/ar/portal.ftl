# بوابة الشركاء (/portal) باللغة العربية.
portal-skip = الانتقال إلى المحتوى
portal-nav-label = البوابة
portal-nav-inbox = صندوق الوارد
portal-nav-settings = الإعدادات
portal-nav-logout = تسجيل الخروج
portal-back-inbox = العودة إلى صندوق الوارد
portal-back-referral = العودة إلى الإحالة
portal-unknown = غير معروف
portal-late = متأخر
portal-note = ملاحظة (اختيارية)
portal-form-problem = يُرجى مراجعة النموذج

# الأخطاء
portal-error-title = حدث خطأ ما
portal-error-not-found-title = غير موجود
portal-error-not-found-body = هذه الصفحة غير موجودة، أو أنها لا تخص منظمتكم.
portal-error-forbidden-title = غير مسموح
portal-error-forbidden-body = هذا الإجراء متاح للمنسّق فقط.
portal-error-method-title = غير ممكن
portal-error-method-body = لا تتيح هذه الصفحة هذا الإجراء.
portal-error-form-body = تعذّر استخدام النموذج. يُرجى الرجوع إلى الصفحة السابقة وإعادة تحميلها ثم المحاولة مرة أخرى.
portal-error-unavailable-body = الخدمة مشغولة حاليًا. يُرجى المحاولة مرة أخرى بعد دقيقة.
portal-error-internal-body = حدث خطأ من جهتنا. يُرجى المحاولة مرة أخرى لاحقًا.
portal-once-title = أُرسل من قبل
portal-once-body = سبق إرسال هذا النموذج، ولم يُطبَّق مرة ثانية. يُرجى إعادة تحميل الصفحة لمعرفة الوضع الحالي.

# تسجيل الدخول
portal-login-title = تسجيل الدخول إلى بوابة الشركاء
portal-login-intro = للمنظمات الشريكة لمنظمة Met Opgeheven Hoofd.
portal-login-email = عنوان البريد الإلكتروني
portal-login-password = كلمة المرور
portal-login-submit = تسجيل الدخول
portal-login-failed = عنوان البريد الإلكتروني أو كلمة المرور غير صحيح.
portal-login-signed-out = تم تسجيل الخروج.
portal-login-throttled = محاولات كثيرة جدًا. يُرجى المحاولة مرة أخرى بعد { $minutes ->
    [one] دقيقة واحدة
    [two] دقيقتين
    [few] { $minutes } دقائق
    [many] { $minutes } دقيقة
   *[other] { $minutes } دقيقة
}.
portal-enrol-title = إعداد خطوة التحقق الثانية
portal-enrol-intro = يتطلب كل تسجيل دخول رمزًا من تطبيق مصادقة على هاتفكم. امسحوا رمز QR هذا بالتطبيق (مثل FreeOTP أو Aegis أو Google Authenticator)، ثم أدخلوا الأرقام الستة التي يعرضها.
portal-enrol-qr = رمز QR للمسح بتطبيق المصادقة
portal-enrol-manual = يتعذّر المسح؟ أدخلوا هذا المفتاح في التطبيق:
portal-code-title = رمز التحقق
portal-code-intro = أدخلوا الأرقام الستة التي يعرضها تطبيق المصادقة الآن.
portal-code-label = الرمز
portal-code-hint = ستة أرقام، مثل 123 456
portal-code-submit = متابعة
portal-code-wrong = هذا الرمز غير صحيح، أو سبق استخدامه. يُرجى انتظار الرمز التالي والمحاولة مرة أخرى.
portal-invite-title = اختيار كلمة المرور
portal-invite-for = للحساب { $email }
portal-invite-password = كلمة المرور الجديدة
portal-invite-password-hint = يجب ألا يقل عدد الأحرف عن { $min }. يُفضَّل استخدام بضع كلمات يسهل تذكّرها.
portal-invite-again = كلمة المرور نفسها مرة أخرى
portal-invite-submit = حفظ كلمة المرور
portal-invite-differ = كلمتا المرور غير متطابقتين.
portal-invite-rules = يجب ألا يقل عدد أحرف كلمة المرور عن { $min }، وألا تكون هي عنوان بريدكم الإلكتروني.
portal-invite-gone-title = هذا الرابط لم يعد صالحًا
portal-invite-gone-body = سبق استخدام الدعوة، أو انتهت صلاحيتها، أو استُبدلت بدعوة أحدث. يُرجى طلب رابط جديد من المنسّق في منظمتكم.

# صندوق الوارد
portal-inbox-title = صندوق الوارد
portal-inbox-waiting = بانتظار اعتمادكم
portal-inbox-open = عرض الإحالات المفتوحة
portal-inbox-closed = عرض الإحالات المغلقة
portal-inbox-none = لا توجد إحالات مفتوحة. ستظهر الإحالات الجديدة هنا.
portal-inbox-none-closed = لا توجد إحالات مغلقة بعد.
portal-sent-on = أُرسلت في { $date }
portal-drafted-by = من إعداد { $email }
portal-due-title = المطلوب
portal-due-by = في موعد أقصاه { $date }
portal-due-acknowledge = تأكيد استلام الإحالة
portal-due-decide = القبول أو الرفض
portal-due-task = المهمة: { $task }
portal-due-plan = إعداد خطة إعادة الإدماج
portal-due-plan-returned = أُعيدت الخطة: يلزم تعديلها
portal-due-arrival = تأكيد الوصول
portal-due-visit = زيارة متابعة

# الحالات
portal-status-requested = جديدة
portal-status-received = تم تأكيد الاستلام
portal-status-accepted = مقبولة
portal-status-rejected = مرفوضة
portal-status-on-hold = معلّقة
portal-status-in-progress = تمت المغادرة
portal-status-completed = مكتملة
portal-status-failed = منتهية
portal-status-cancelled = ملغاة

# الإحالة
portal-shared-title = ما يشاركه البرنامج
portal-shared-intro = تمت مشاركته بموافقة الشخص المعني:
portal-shared-none = لا تجري حاليًا مشاركة أي شيء سوى المرجع والبلد.
portal-category-identity = الهوية
portal-category-contact = بيانات الاتصال
portal-category-family = الأسرة
portal-category-health = الصحة
portal-category-needs = الاحتياجات
portal-category-travel-documents = وثائق السفر
portal-field-reference = المرجع
portal-field-given-name = الاسم الأول
portal-field-family-name = اسم العائلة
portal-field-date-of-birth = تاريخ الميلاد
portal-field-languages = اللغات
portal-field-location = مكان الإقامة الحالي
portal-field-needs = الاحتياجات
portal-field-household = المرافقون في السفر
portal-field-destination-region = منطقة الوجهة
portal-field-planned-departure-on = موعد المغادرة المقرر
portal-need-housing = السكن
portal-need-income = الدخل
portal-need-education = التعليم
portal-need-medical = الرعاية الطبية
portal-need-psychosocial = الدعم النفسي والاجتماعي
portal-need-legal-documents = الوثائق الرسمية
portal-need-family-tracing = البحث عن أفراد الأسرة
portal-acknowledge-title = تأكيد الاستلام
portal-acknowledge-intro = أبلِغوا البرنامج بأنكم استلمتم هذه الإحالة. ويمكنكم اتخاذ القرار بعد ذلك.
portal-acknowledge-submit = تأكيد الاستلام
portal-accept-title = القبول
portal-accept-submit = قبول الإحالة
portal-decline-title = الرفض
portal-decline-code = السبب
portal-decline-reason = التوضيح
portal-decline-reason-hint = مطلوب عندما يكون السبب «أخرى».
portal-decline-submit = رفض الإحالة
portal-decline-no-capacity = لا تتوفر لدينا قدرة استيعابية
portal-decline-not-in-area = خارج منطقة عملنا
portal-decline-not-eligible = عدم استيفاء شروط الأهلية
portal-decline-client-unreachable = تعذّر التواصل مع الشخص
portal-decline-security-concern = مخاوف أمنية
portal-decline-other = أخرى
portal-hold-title = تعليق الإحالة
portal-hold-reason = السبب
portal-hold-review-on = تاريخ المراجعة
portal-hold-submit = تعليق
portal-resume-title = معلّقة
portal-resume-submit = استئناف
portal-tasks-title = التحضير للمغادرة
portal-task-complete = تم
portal-task-travel-document = وثيقة السفر
portal-task-flight = الرحلة الجوية
portal-task-medical-fitness-to-fly = اللياقة الطبية للسفر جوًا
portal-task-reintegration-budget = ميزانية إعادة الإدماج
portal-task-partner-contact-before-departure = التواصل مع الشخص قبل المغادرة
portal-task-luggage = الأمتعة
portal-task-airport-pickup = الاستقبال في المطار
portal-task-first-accommodation = السكن الأولي
portal-task-status-open = مفتوحة
portal-task-status-done = منجزة
portal-task-status-not-applicable = لا تنطبق
portal-task-status-blocked = متوقفة
portal-arrival-title = الوصول
portal-arrived-on = تاريخ الوصول
portal-arrival-received = استقبلنا الشخص
portal-arrival-submit = تأكيد الوصول
portal-plan-title = خطة إعادة الإدماج
portal-plan-none = لا توجد خطة بعد.
portal-plan-comment = تعليق المسؤول عن الملف:
portal-plan-need = الاحتياج
portal-plan-support = الدعم
portal-plan-amount = المبلغ
portal-plan-currency = العملة
portal-plan-currency-hint = ثلاثة أحرف (ISO 4217)، مثل EUR أو GHS
portal-plan-item = البند { $n }
portal-plan-draft = إعداد الخطة أو تعديلها
portal-plan-status-submitted = مقدَّمة، بانتظار الموافقة
portal-plan-status-approved = معتمدة
portal-plan-status-returned = أُعيدت للتعديل
portal-visits-title = زيارات المتابعة
portal-visit = الزيارة
portal-visit-months = { $n ->
    [one] بعد شهر واحد من الوصول
    [two] بعد شهرين من الوصول
    [few] بعد { $n } أشهر من الوصول
    [many] بعد { $n } شهرًا من الوصول
   *[other] بعد { $n } شهر من الوصول
}
portal-visit-status-scheduled = مجدولة
portal-visit-status-done = أُجريت
portal-visit-status-missed = لم تُجرَ
portal-visit-draft = الإبلاغ عن زيارة متابعة
portal-visit-held-on = تاريخ الزيارة
portal-visit-mode = الطريقة
portal-mode-in-person = حضوريًا
portal-mode-phone = بالهاتف
portal-mode-video = بالفيديو
portal-closure-draft = إغلاق الإحالة
portal-closure-outcome = النتيجة
portal-outcome-completed = مكتملة: انتهى الدعم كما كان مخططًا له
portal-outcome-lost-contact = انقطاع التواصل
portal-outcome-re-migrated = الهجرة مجددًا
portal-outcome-withdrew = انسحب الشخص
portal-outcome-deceased = الوفاة
portal-history-title = السجل

# التحقق المزدوج (مبدأ العيون الأربع)
portal-drafts-title = مسودات بانتظار الاعتماد
portal-draft-plan = خطة إعادة الإدماج
portal-draft-monitoring = تقرير المتابعة
portal-draft-closure = الإغلاق
portal-draft-open = فتح
portal-draft-submit = تقديم
portal-draft-discard = حذف
portal-draft-four-eyes = يقدّمها منسّق غير الشخص الذي أعدّها.
portal-draft-intro = تُحفظ مسودتكم إلى أن يراجعها منسّق في منظمتكم ويقدّمها.
portal-draft-save = حفظ المسودة
portal-draft-saved = آخر مسودة من إعداد { $email } بتاريخ { $date }.
portal-plan-form-title = خطة إعادة الإدماج: { $reference }
portal-visit-form-title = زيارة متابعة: { $reference }
portal-closure-form-title = إغلاق { $reference }
portal-done-acknowledge = تم تأكيد الاستلام.
portal-done-accept = تم قبول الإحالة.
portal-done-decline = تم رفض الإحالة.
portal-done-hold = تم تعليق الإحالة.
portal-done-resume = تم استئناف الإحالة.
portal-done-task = تم إنجاز المهمة.
portal-done-arrival = تم تأكيد الوصول.
portal-done-drafted = تم حفظ المسودة. سيقدّمها أحد المنسّقين.
portal-done-submitted-plan = تم تقديم الخطة إلى المسؤول عن الملف.
portal-done-submitted-monitoring = تم تقديم تقرير المتابعة.
portal-done-submitted-closure = تم إغلاق الإحالة.
portal-done-discarded = تم حذف المسودة.
portal-done-preferences = تم حفظ إعداداتكم.
portal-done-revoked = تم إلغاء المفتاح.
portal-done-disabled = لم يعد بإمكان هذا الشخص تسجيل الدخول.
portal-done-once = سبق تنفيذ هذا الإجراء؛ فالسرّ أو الرابط لا يُعرض إلا مرة واحدة.

# الإعدادات
portal-settings-title = الإعدادات
portal-settings-me = إعداداتكم الشخصية
portal-settings-language = اللغة
portal-settings-notify = إعلامي بالبريد الإلكتروني عندما يكون هناك ما ينتظرني
portal-settings-notify-hint = لا يذكر البريد الإلكتروني إلا ما ينتظركم مع رابط إلى هذه البوابة، ولا يذكر أي اسم أبدًا.
portal-settings-save = حفظ
portal-settings-webhook = Webhook
portal-settings-webhook-intro = للمنظمات التي لديها نظامها الخاص: يرسل Brug كل حدث إلى هذا العنوان، موقَّعًا بالسرّ.
portal-settings-webhook-none = لم يُعدّ أي Webhook.
portal-settings-webhook-url = العنوان (https://)
portal-settings-webhook-hint = يؤدي إعداده إلى إنشاء سرّ توقيع جديد يُعرض مرة واحدة.
portal-settings-webhook-status = الحالة
portal-settings-webhook-deliveries = عمليات الإرسال
portal-settings-webhook-counts = قيد الانتظار: { $pending }، تم التسليم: { $delivered }، فشل: { $dead }
portal-settings-webhook-submit = حفظ الـ Webhook
portal-settings-keys = مفاتيح API
portal-settings-keys-intro = للمنظمات التي لديها نظامها الخاص، لاستخدام واجهة API.
portal-settings-keys-none = لا توجد مفاتيح بعد.
portal-key-prefix = المفتاح
portal-key-created = تاريخ الإنشاء
portal-key-state = الحالة
portal-key-revoke = إلغاء
portal-key-revoked = أُلغي في { $date }
portal-key-used = آخر استخدام في { $date }
portal-key-unused = لم يُستخدم بعد
portal-key-create = إنشاء مفتاح جديد
portal-settings-users = المستخدمون
portal-role-focal-point = جهة الاتصال
portal-role-coordinator = المنسّق
portal-user-state-active = نشط
portal-user-state-invited = مدعو
portal-user-state-no-second-factor = لم تُعدّ خطوة التحقق الثانية بعد
portal-user-state-disabled = معطَّل
portal-user-disable = تعطيل
portal-invite-title-colleague = دعوة زميل
portal-invite-email = عنوان البريد الإلكتروني
portal-invite-role = الدور
portal-invite-send = إنشاء رابط دعوة
portal-shown-webhook-secret = سرّ توقيع الـ Webhook:
portal-shown-key = مفتاح API الجديد:
portal-shown-invitation = رابط الدعوة (صالح لمدة 72 ساعة، ولمرة واحدة):
portal-shown-once = انسخوه الآن: لن يُعرض إلا هذه المرة فقط.
