# إشعارات البريد الإلكتروني (src/mailer): ما ينتظر، ومرجع، ورابط، ولا اسم
# ولا أي شيء آخر عن أي شخص.
mail-referral-requested-subject = إحالة جديدة في انتظارك
mail-referral-requested-body = إحالة جديدة في انتظار منظمتك في Brug.
mail-referral-cancelled-subject = أُلغيت إحالة
mail-referral-cancelled-body = أُلغيت إحالة إلى منظمتك.
mail-plan-returned-subject = أُعيدت إليك خطة إعادة إدماج
mail-plan-returned-body = أُعيدت خطة إعادة إدماج إلى منظمتك مع تعليق.
mail-monitoring-due-subject = حان موعد زيارة متابعة
mail-monitoring-due-body = حان موعد زيارة متابعة لإحالة من إحالات منظمتك.
mail-draft-waiting-subject = مسودة في انتظار موافقتك
mail-draft-waiting-body = مسودة في انتظار موافقة منسق قبل إرسالها.
mail-plan-to-approve-subject = خطة في انتظار موافقتك
mail-plan-to-approve-body = قدّم شريك خطة إعادة إدماج لإحدى حالاتك.
mail-count =
    { $count ->
        [one] أمر واحد في انتظارك.
       *[other] { $count } أمور في انتظارك.
    }
mail-reference = المرجع: { $value }
mail-open = افتحه في Brug: { $value }
mail-why = تتلقى هذه الرسالة لأنك طلبت من Brug إعلامك عندما ينتظرك شيء. لا تحتوي على أي بيانات شخصية: سجّل الدخول لرؤية التفاصيل.
